"""gt.capture.health.v1 records: what scoring keeps, and what goes to the dead-letter topic with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from groundtruth.capture.v1 import health_pb2
from plumbing.kafka.dead_letters import InvalidMessage
from plumbing.kafka.records import protobuf_headers
from services.scoring.adapters.capture_health_consumer import decode_health
from services.scoring.domain.capture_reports import MailboxForgotten, MailboxHealthUpdate
from tests.records import record

TOPIC = "ns.gt.capture.health.v1"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def health(**changes: object) -> health_pb2.MailboxHealth:
    message = health_pb2.MailboxHealth(
        event_id="e1", tenant_id="acme", mailbox_key="abc123", rep_id="rep-1", provider="microsoft",
        state="revoked", reason="the provider no longer accepts the mailbox's token", items_rejected=2,
    )  # fmt: skip
    message.since.FromDatetime(NOW - timedelta(days=21))
    message.observed_at.FromDatetime(NOW)
    message.occurred_at.FromDatetime(NOW)
    for name, value in changes.items():
        setattr(message, name, value)
    return message


def test_decodes_a_report() -> None:
    message = health()
    decoded = decode_health(
        record(
            message.SerializeToString(), topic=TOPIC, key=b"acme:abc123", headers=protobuf_headers(message)
        ),
        now=NOW,
    )
    assert isinstance(decoded, MailboxHealthUpdate)
    assert (decoded.tenant_id, decoded.mailbox_key, decoded.rep_id) == ("acme", "abc123", "rep-1")
    report = decoded.report
    assert (report.state, report.since, report.reported_at) == ("revoked", NOW - timedelta(days=21), NOW)
    assert (report.last_success_at, report.items_rejected, report.provider) == (None, 2, "microsoft")


def test_a_tombstone_forgets_the_mailbox() -> None:
    assert decode_health(record(None, topic=TOPIC, key=b"acme:abc123")) == MailboxForgotten("acme", "abc123")


@pytest.mark.parametrize(
    ("value", "key", "reason"),
    [
        pytest.param(b"\xff\xff", b"acme:abc123", "not a protobuf MailboxHealth", id="garbage"),
        pytest.param(health().SerializeToString(), b"acme", "is not tenant_id:mailbox_key", id="bad key"),
        pytest.param(
            health().SerializeToString(), b"other:abc123", "do not match its key", id="key mismatch"
        ),
        pytest.param(health(rep_id="").SerializeToString(), b"acme:abc123", "rep_id is empty", id="no rep"),
        pytest.param(
            health(state="fine").SerializeToString(), b"acme:abc123", "unknown state", id="bad state"
        ),
    ],
)
def test_poison_records_are_refused_with_a_reason(value: bytes, key: bytes, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        decode_health(record(value, topic=TOPIC, key=key), now=NOW)


def test_a_report_from_the_future_is_refused() -> None:
    future = health()
    future.observed_at.FromDatetime(NOW + timedelta(hours=1))
    with pytest.raises(InvalidMessage, match="in the future"):
        decode_health(record(future.SerializeToString(), topic=TOPIC, key=b"acme:abc123"), now=NOW)


def test_a_report_without_since_is_refused() -> None:
    message = health()
    message.ClearField("since")
    with pytest.raises(InvalidMessage, match="since and observed_at are required"):
        decode_health(record(message.SerializeToString(), topic=TOPIC, key=b"acme:abc123"), now=NOW)
