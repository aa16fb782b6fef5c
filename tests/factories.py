"""Builders for contract messages used across the tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.identity import activity_id, event_id

_counter = itertools.count(1)
BASE_TIME = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def timestamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def make_activity(
    *,
    tenant_id: str = "acme",
    rep_id: str = "rep-1",
    item_id: str | None = None,
    kind: activity_pb2.ActivityKind.ValueType = activity_pb2.ACTIVITY_KIND_EMAIL_SENT,
    occurred_at: datetime | None = None,
    modified_at: datetime | None = None,
    subject: str | None = None,
    is_cancelled: bool = False,
    is_deletion: bool = False,
    customer: str = "buyer@customer.example",
) -> activity_pb2.Activity:
    n = next(_counter)
    item = item_id or f"item-{n}"
    mailbox = f"{rep_id}@acme.example"
    occurred = occurred_at or BASE_TIME + timedelta(minutes=n)
    activity = activity_pb2.Activity(
        id=activity_id(
            tenant_id=tenant_id, provider=activity_pb2.PROVIDER_MICROSOFT, mailbox=mailbox, item_id=item
        ),
        tenant_id=tenant_id,
        rep_id=rep_id,
        kind=kind,
        provider=activity_pb2.PROVIDER_MICROSOFT,
        mailbox=mailbox,
        provider_ids=activity_pb2.ProviderIds(item_id=item, internet_message_id=f"<{item}@acme.example>"),
        occurred_at=timestamp(occurred),
        observed_at=timestamp(occurred + timedelta(seconds=5)),
        source_modified_at=timestamp(modified_at or occurred),
        participants=[
            activity_pb2.Participant(
                address=mailbox, role=activity_pb2.PARTICIPANT_ROLE_FROM, is_internal=True
            ),
            activity_pb2.Participant(
                address=customer, role=activity_pb2.PARTICIPANT_ROLE_TO, is_internal=False
            ),
        ],
        is_cancelled=is_cancelled,
        is_deletion=is_deletion,
    )
    if subject is not None:
        activity.subject = subject
    activity.event_id = event_id(activity)
    return activity
