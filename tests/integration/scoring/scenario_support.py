"""Publishing a synthetic organisation and reading scoring's answers over gRPC."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaProducer

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.kafka.records import protobuf_headers, record_key
from plumbing.kafka.topics import Topics
from services.sandbox.synthetic.organisation import Event
from services.scoring.adapters.kafka_batches import publish_keyed
from tests.conftest import eventually
from tests.integration.platform import Platform, committed_through_end

_ACTIVITY_HEADERS = protobuf_headers(activity_pb2.Activity())
_CRM_HEADERS = protobuf_headers(crm_pb2.CrmEvent())


async def publish_events(bootstrap: str, topics: Topics, events: Iterable[Event]) -> int:
    activities: list[tuple[bytes, bytes | None]] = []
    crm: list[tuple[bytes, bytes | None]] = []
    for event in events:
        target = activities if isinstance(event, activity_pb2.Activity) else crm
        target.append((record_key(event.tenant_id, event.rep_id), event.SerializeToString()))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=10, max_batch_size=512 * 1024)
    await producer.start()
    try:
        # CRM first, like a CRM that exists before capture is switched on; the consumer still reads
        # both topics at once, so plenty of activity arrives before the records it matches.
        await publish_keyed(producer, topics.crm_events, crm, _CRM_HEADERS)
        await publish_keyed(producer, topics.activity_captured, activities, _ACTIVITY_HEADERS)
    finally:
        await producer.stop()
    return len(activities) + len(crm)


async def caught_up(bootstrap: str, group: str, topics: Topics) -> bool:
    return await committed_through_end(bootstrap, group, topics.crm_events) and await committed_through_end(
        bootstrap, group, topics.activity_captured
    )


async def rescore_when_caught_up(platform: Platform, tenant_id: str) -> None:
    """Wait until the platform's scoring consumed both topics to their end, then rescore the tenant
    over scoring's admin gRPC (what a scenario reads next is then computed from everything sent)."""
    isolated = platform.isolated
    await eventually(
        lambda: caught_up(isolated.bootstrap_servers, platform.consumer_group, isolated.topics),
        timeout_sec=120,
    )
    async with isolated.client_tls.channel(f"127.0.0.1:{platform.scoring.grpc_port}") as channel:
        await scoring_pb2_grpc.ScoringAdminStub(channel).RescoreTenant(
            scoring_pb2.RescoreTenantRequest(tenant_id=tenant_id)
        )
