"""Publishes capture's per-mailbox health to gt.capture.health.v1 (compacted, key tenant:mailbox_key)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import Counter

from groundtruth.capture.v1 import health_pb2
from plumbing.kafka.publisher import KeyedBatchPublisher
from plumbing.kafka.records import protobuf_headers
from services.capture.ports import PublishFailed
from services.capture.ports.health import HealthReport

REPORTS = Counter(
    "gt_capture_health_reports_total", "Mailbox health records acknowledged by the broker", ["state"]
)


def _timestamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def health_record(report: HealthReport) -> health_pb2.MailboxHealth:
    published = report.published
    message = health_pb2.MailboxHealth(
        event_id=str(uuid.uuid4()),
        tenant_id=published.tenant_id,
        mailbox_key=published.mailbox_key,
        rep_id=published.rep_id,
        provider=report.provider,
        state=published.health.state.value,
        reason=published.health.reason,
        since=_timestamp(published.since),
        items_rejected=report.items_rejected,
        occurred_at=_timestamp(report.reported_at),
        observed_at=_timestamp(report.reported_at),
    )
    if report.last_success_at is not None:
        message.last_success_at.CopyFrom(_timestamp(report.last_success_at))
    return message


def health_key(tenant_id: str, mailbox_key: str) -> bytes:
    return f"{tenant_id}:{mailbox_key}".encode()


class KafkaHealthPublisher:
    """`HealthPublisher` over a started producer (the caller owns its lifecycle)."""

    def __init__(self, producer: AIOKafkaProducer, *, topic: str) -> None:
        self._publisher = KeyedBatchPublisher(producer)
        self._topic = topic
        self._headers = protobuf_headers(health_pb2.MailboxHealth())

    async def publish(self, reports: Sequence[HealthReport]) -> None:
        records = [
            (health_key(r.published.tenant_id, r.published.mailbox_key), health_record(r).SerializeToString())
            for r in reports
        ]
        try:
            await self._publisher.publish(self._topic, records, self._headers)
        except (KafkaError, OSError, TimeoutError) as exc:
            raise PublishFailed(f"the broker did not acknowledge the health records: {exc!r}") from exc
        for report in reports:
            REPORTS.labels(report.published.health.state.value).inc()

    async def forget(self, tenant_id: str, mailbox_key: str) -> None:
        try:
            await self._publisher.publish(self._topic, [(health_key(tenant_id, mailbox_key), None)])
        except (KafkaError, OSError, TimeoutError) as exc:
            raise PublishFailed(f"the broker did not acknowledge the tombstone: {exc!r}") from exc
