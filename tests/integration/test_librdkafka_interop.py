"""Any Kafka client can read what the platform writes: librdkafka (confluent-kafka, the library behind
kcat and most non-Java tooling) reads every topic of the catalogue after real traffic, and each
record's key, headers and protobuf value follow the conventions in plumbing/kafka/records.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from confluent_kafka import Consumer, TopicPartition
from google.protobuf import message_factory
from google.protobuf.descriptor_pool import Default as default_pool
from google.protobuf.message import Message

from groundtruth.activity.v1 import activity_pb2  # noqa: F401  (registers the message types)
from groundtruth.capture.v1 import health_pb2
from groundtruth.crm.v1 import crm_pb2  # noqa: F401
from groundtruth.scoring.v1 import scoring_pb2  # noqa: F401
from plumbing.kafka.records import CONTENT_TYPE_HEADER, record_key
from plumbing.kafka.topics import ALL_TOPICS
from services.capture.adapters.kafka_health_publisher import KafkaHealthPublisher, health_key
from services.capture.domain.health import Health, HealthState, Published, mailbox_key
from services.capture.ports.health import HealthReport
from services.gateway.admin.keys import create_tenant, issue_key
from services.gateway.domain.principal import Role
from tests.conftest import eventually
from tests.factories import make_activity
from tests.integration.conftest import Isolated
from tests.integration.platform import Platform, running_platform

pytestmark = pytest.mark.integration
Record = tuple[bytes | None, dict[str, bytes], bytes | None]  # key, headers, value
_PREFIX = b"application/x-protobuf; messageType="
POISON, POISON_KEY = b"\xff not protobuf", record_key("acme", "rep-poison")


@pytest.fixture(scope="module")
async def platform(isolated: Isolated) -> AsyncIterator[Platform]:
    async with running_platform(isolated) as running:
        yield running


def read_with_librdkafka(bootstrap_servers: str, topic: str) -> list[Record]:
    """Every record of `topic`, from the beginning to the current end, read by librdkafka."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap_servers, "group.id": "interop", "enable.auto.commit": False}
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions
        }
        wanted = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(topic, p, 0) for p in wanted])
        records: list[Record] = []
        while wanted:
            message = consumer.poll(5)
            assert message is not None, f"librdkafka read nothing more from {topic}"
            assert message.error() is None, message.error()
            raw = message.headers() or []
            pairs = raw.items() if isinstance(raw, dict) else raw
            headers = {name: value for name, value in pairs if isinstance(value, bytes)}
            records.append((message.key(), headers, message.value()))
            offset, partition = message.offset(), message.partition()
            assert offset is not None and partition is not None
            if offset + 1 >= ends[partition]:
                wanted.discard(partition)
        return records
    finally:
        consumer.close()


def decoded(headers: dict[str, bytes], value: bytes) -> Message:
    """The value parsed as the message type its content-type header names."""
    content_type = headers[CONTENT_TYPE_HEADER]
    assert content_type.startswith(_PREFIX), content_type
    descriptor = default_pool().FindMessageTypeByName(content_type[len(_PREFIX) :].decode())
    return message_factory.GetMessageClass(descriptor).FromString(value)


async def traffic(platform: Platform) -> None:
    """One of everything: CRM events through REST, captured activity that matches them (scoring then
    writes matched activity and scores), and a poison record for the dead-letter topic."""
    gateway = platform.gateway.gateway
    await create_tenant(gateway.pool, pepper=gateway.pepper, tenant_id="acme", name="Acme")
    plugin = await issue_key(
        gateway.pool, pepper=gateway.pepper, tenant_id="acme", name="interop plugin", role=Role.PLUGIN,
        rep_id=None, created_by="test",
    )  # fmt: skip
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    events = [
        {"type": "record_upserted", "object_type": "account", "crm_id": "acct-1", "name": "Globex",
         "domains": ["globex.example"], "owner_rep_id": "rep-1", "modified_at": now},
        {"type": "user_login", "rep_id": "rep-1", "login_at": now},
    ]  # fmt: skip
    async with httpx.AsyncClient(base_url=platform.rest_url) as client:
        answer = await client.post(
            "/v1/crm/events",
            json={"events": events},
            headers={"Authorization": f"Bearer {plugin.plaintext}", "Idempotency-Key": "interop-1"},
        )
    assert answer.status_code == 202, answer.text
    await asyncio.sleep(0.5)  # the account first, so the activity matches it
    await platform.capture.publisher.publish(
        [make_activity(tenant_id="acme", rep_id="rep-1", customer="buyer@globex.example")]
    )
    producer = AIOKafkaProducer(bootstrap_servers=platform.isolated.bootstrap_servers)
    await producer.start()
    try:
        # The platform here has no mailboxes, so capture's health topic gets one report through
        # capture's own publisher.
        at = datetime.now(UTC)
        key = mailbox_key("acme", "microsoft", "rep-1@acme.example")
        published = Published("acme", key, "rep-1", Health(HealthState.OK), at)
        await KafkaHealthPublisher(producer, topic=platform.isolated.topics.capture_health).publish(
            [HealthReport(published, "microsoft", at, 0, at)]
        )
        await producer.send_and_wait(platform.isolated.topics.activity_captured, POISON, key=POISON_KEY)
    finally:
        await producer.stop()


async def test_every_topic_reads_back_through_librdkafka_with_keys_headers_and_protos(
    platform: Platform,
) -> None:
    await traffic(platform)
    topics = {spec.base_name: platform.isolated.topics.name(spec) for spec in ALL_TOPICS}
    read: dict[str, list[Record]] = {}

    async def every_topic_has_records() -> bool:
        for base, topic in topics.items():
            read[base] = await asyncio.to_thread(
                read_with_librdkafka, platform.isolated.bootstrap_servers, topic
            )
        return all(read.values())

    await eventually(every_topic_has_records, timeout_sec=60, interval_sec=0.5)

    for base, records in read.items():
        for key, headers, value in records:
            assert key is not None and key.startswith(b"acme:"), (base, key)
            assert value is not None, (base, key)
            if key == POISON_KEY:  # as produced, and as dead-lettered with the reason
                assert value == POISON, (base, value)
                assert base == "gt.deadletter.v1" or base == "gt.activity.captured.v1", base
                if base == "gt.deadletter.v1":
                    assert headers["dlq.original.topic"] == topics["gt.activity.captured.v1"].encode()
                    assert headers["dlq.error"], "a dead letter without its reason"
                continue
            message = decoded(headers, value)
            if isinstance(message, health_pb2.MailboxHealth):  # keyed by mailbox: a rep may have several
                assert key == health_key("acme", message.mailbox_key), (base, key, message)
                continue
            assert key == record_key("acme", rep_of(message)), (base, key, message)


def rep_of(message: Message) -> str:
    """The rep a record is about: its own `rep_id`, or its activity's (matched activity)."""
    if "rep_id" in message.DESCRIPTOR.fields_by_name:
        assert getattr(message, "tenant_id") == "acme", message  # noqa: B009
        return str(getattr(message, "rep_id"))  # noqa: B009
    activity = getattr(message, "activity")  # noqa: B009
    assert activity.tenant_id == "acme", message
    return str(activity.rep_id)
