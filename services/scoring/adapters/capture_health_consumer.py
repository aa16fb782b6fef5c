"""Decodes gt.capture.health.v1 records and keeps the latest per mailbox (`CaptureHealthStore`).

Its own consumer group, apart from the activity and CRM consumer: a burst of health records never
waits behind a backfill, and the two are committed independently, each after its own transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from google.protobuf.message import DecodeError

from groundtruth.capture.v1 import health_pb2
from plumbing.kafka.dead_letters import InvalidMessage
from plumbing.kafka.records import CONTENT_TYPE_HEADER, Record, header
from services.scoring.domain.capture_reports import (
    KNOWN_STATES,
    CaptureReport,
    HealthRecord,
    MailboxForgotten,
    MailboxHealthUpdate,
)
from services.scoring.ports.capture_health import CaptureHealthStore

_TYPE = health_pb2.MailboxHealth.DESCRIPTOR.full_name.encode()
# A report from further ahead than this is a broken clock: it would read fresh for ever.
_MAX_CLOCK_SKEW = timedelta(minutes=5)


def decode_health(record: Record, *, now: datetime | None = None) -> HealthRecord:
    """One record of the health topic; raises `InvalidMessage` for what can never apply."""
    key = (record.key or b"").decode("utf-8", "replace")
    tenant, sep, mailbox_key = key.rpartition(":")
    if not sep or not tenant or not mailbox_key:
        raise InvalidMessage(f"key {key!r} is not tenant_id:mailbox_key")
    if record.value is None:
        return MailboxForgotten(tenant, mailbox_key)
    declared = header(record.headers, CONTENT_TYPE_HEADER)
    if declared is not None and _TYPE not in declared:
        raise InvalidMessage(f"content-type {declared!r} is not {_TYPE.decode()}")
    try:
        message = health_pb2.MailboxHealth.FromString(record.value)
    except DecodeError as exc:
        raise InvalidMessage(f"not a protobuf MailboxHealth: {exc}") from exc
    if (message.tenant_id, message.mailbox_key) != (tenant, mailbox_key):
        raise InvalidMessage("the record's tenant_id and mailbox_key do not match its key")
    if not message.rep_id:
        raise InvalidMessage("rep_id is empty")
    if message.state not in KNOWN_STATES:
        raise InvalidMessage(f"unknown state {message.state[:40]!r}")
    if not message.HasField("since") or not message.HasField("observed_at"):
        raise InvalidMessage("since and observed_at are required")
    reported_at = message.observed_at.ToDatetime(tzinfo=UTC)
    if reported_at - (now or datetime.now(UTC)) > _MAX_CLOCK_SKEW:
        raise InvalidMessage("observed_at is in the future")
    return MailboxHealthUpdate(
        tenant,
        mailbox_key,
        message.rep_id,
        CaptureReport(
            state=message.state,
            reason=message.reason[:500],
            since=message.since.ToDatetime(tzinfo=UTC),
            reported_at=reported_at,
            last_success_at=message.last_success_at.ToDatetime(tzinfo=UTC)
            if message.HasField("last_success_at")
            else None,
            items_rejected=max(0, message.items_rejected),
            provider=message.provider[:20],
        ),
    )


class CaptureHealthProcessor:
    """`BatchProcessor` for gt.capture.health.v1: one transaction per batch."""

    def __init__(self, store: CaptureHealthStore) -> None:
        self._store = store

    def decode(self, record: Record) -> HealthRecord:
        return decode_health(record)

    async def process(self, batch: Sequence[HealthRecord]) -> None:
        await self._store.apply(batch)
