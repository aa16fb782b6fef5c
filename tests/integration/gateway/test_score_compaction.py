"""gt.scores.v1 is really compacted by Apache Kafka, and the gateway's score view is rebuilt from what
compaction leaves.

The topic gets small-segment settings (as an operator would set them with kafka-configs), so segments
roll within a second and the log cleaner runs at once. Then: the old versions of a rep's score are
compacted away, an erased rep's tombstone removes the key entirely (once `delete.retention.ms` has
passed), and a gateway started afterwards serves exactly the latest scores, none of the erased rep's.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.embedded import InfrastructureEndpoints
from plumbing.embedded.mesh_ca import MeshFiles
from plumbing.kafka.records import protobuf_headers, record_key
from plumbing.kafka.topics import SCORES
from services.gateway.app import running_gateway
from services.gateway.domain.principal import Role
from tests.conftest import eventually
from tests.integration.conftest import TEST_SERVICE, Isolated
from tests.integration.gateway.conftest import gateway_settings, isolated_environment, seed_tenants
from tests.integration.gateway.fakes import running_upstreams
from tests.kafka_topics import read_topic

pytestmark = pytest.mark.integration
UPSTREAM_ADOPTION = 72.5  # what the fake scoring answers for reps the view does not hold
VERSIONS = 30
KEPT, ERASED = "rep-kept", "rep-erased"
# Segments roll after 200 ms, the cleaner may compact anything at once, tombstones live 1 s.
FAST_COMPACTION = {
    **SCORES.config,
    "segment.ms": "200",
    "min.cleanable.dirty.ratio": "0.01",
    "min.compaction.lag.ms": "0",
    "delete.retention.ms": "1000",
    "file.delete.delay.ms": "0",
}


async def _compact_fast(isolated: Isolated) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=isolated.bootstrap_servers)
    await admin.start()
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, isolated.topics.scores, FAST_COMPACTION)
        await admin.alter_configs([resource])
    finally:
        await admin.close()


async def _publish(
    isolated: Isolated, records: list[tuple[str, float | None]], *, partition: int | None = None
) -> set[int]:
    """Scores as scoring's relay publishes them: keyed `tenant:rep`, protobuf headers; None erases.
    Returns the partitions they went to."""
    producer = AIOKafkaProducer(bootstrap_servers=isolated.bootstrap_servers, enable_idempotence=True)
    await producer.start()
    partitions: set[int] = set()
    try:
        for rep, adoption in records:
            if adoption is None:
                value, headers = None, []
            else:
                score = scoring_pb2.RepScore(tenant_id="acme", rep_id=rep, adoption_score=adoption)
                value, headers = score.SerializeToString(), protobuf_headers(score)
            sent = await producer.send_and_wait(
                isolated.topics.scores,
                value,
                key=record_key("acme", rep),
                headers=headers,
                partition=partition,
            )
            partitions.add(sent.partition)
    finally:
        await producer.stop()
    return partitions


async def _topic_contents(isolated: Isolated) -> dict[str, list[float | None]]:
    """Every record on the topic from the beginning, per rep, in order (None for a tombstone)."""
    found: dict[str, list[float | None]] = defaultdict(list)
    for record in await read_topic(isolated.bootstrap_servers, isolated.topics.scores):
        rep = (record.key or b"").decode().partition(":")[2]
        score = None if record.value is None else scoring_pb2.RepScore.FromString(record.value)
        found[rep].append(None if score is None else score.adoption_score)
    return dict(found)


async def _compacted(
    isolated: Isolated, partitions: set[int], *, until: float
) -> dict[str, list[float | None]]:
    """Keep rolling the segments of `partitions` (a roll needs a newer record in the same partition
    after `segment.ms`) until the cleaner has left one version of the kept rep and nothing of the
    erased one, or the deadline passes."""
    while True:
        contents = await _topic_contents(isolated)
        if contents.get(KEPT) == [float(VERSIONS)] and ERASED not in contents:
            return contents
        if time.monotonic() > until:
            return contents
        await asyncio.sleep(0.3)
        for partition in partitions:
            await _publish(isolated, [("rep-roll", time.time())], partition=partition)


async def _served(url: str, key: str) -> float:
    async with httpx.AsyncClient(base_url=url) as client:
        answer = await client.get(f"/v1/reps/{KEPT}/score", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.text
        erased = await client.get(f"/v1/reps/{ERASED}/score", headers={"Authorization": f"Bearer {key}"})
        assert erased.status_code == 200, erased.text
    assert float(erased.json()["adoption_score"]) == UPSTREAM_ADOPTION, "an erased rep came back"
    return float(answer.json()["adoption_score"])


async def test_old_scores_and_erased_reps_are_compacted_away_and_the_view_rebuilds_from_the_rest(
    endpoints: InfrastructureEndpoints, mesh: MeshFiles
) -> None:
    async with (
        isolated_environment(endpoints, mesh) as isolated,
        running_upstreams(["acme"], tls=isolated.mesh.tls(TEST_SERVICE)) as upstreams,
    ):
        await _compact_fast(isolated)
        settings = gateway_settings(isolated, upstreams.target, score_view_max_entries=1000)
        async with running_gateway(settings) as running:
            admin_key = (await seed_tenants(running))[("acme", Role.ADMIN)]
            url = f"http://127.0.0.1:{running.http_port}"
            used = await _publish(isolated, [(KEPT, float(n)) for n in range(1, VERSIONS + 1)])
            used |= await _publish(isolated, [(ERASED, 10.0), (ERASED, 20.0), (ERASED, None)])

            async def latest_served() -> bool:
                return await _served(url, admin_key) == float(VERSIONS)

            await eventually(latest_served, timeout_sec=15)

        # The gateway is down while the cleaner works; it comes back to a compacted topic.
        contents = await _compacted(isolated, used, until=time.monotonic() + 60)
        assert contents.get(KEPT) == [float(VERSIONS)], f"old versions were not compacted: {contents}"
        assert ERASED not in contents, f"the tombstone did not remove the erased rep: {contents}"

        async with running_gateway(settings) as restarted:
            url = f"http://127.0.0.1:{restarted.http_port}"
            view = restarted.gateway.score_view
            assert view is not None

            async def rebuilt() -> bool:
                return await _served(url, admin_key) == float(VERSIONS)

            await eventually(rebuilt, timeout_sec=15)
            assert len(view.table) == len(contents), "the view holds other than one entry per key"
