"""Builders of neutral items for the capture unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.items import (
    Attendee,
    Direction,
    EmailItem,
    MeetingItem,
    Response,
    Sensitivity,
    person,
)
from services.capture.domain.normalize import MailboxIdentity

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OWNER = "ann@acme.example"
WHO = MailboxIdentity(
    tenant_id="acme", rep_id="rep-ann", mailbox=OWNER, provider=activity_pb2.PROVIDER_MICROSOFT
)


def email(
    item_id: str = "m1",
    *,
    direction: Direction = Direction.RECEIVED,
    sender: str = "buyer@customer.example",
    to: tuple[str, ...] = (OWNER,),
    cc: tuple[str, ...] = (),
    subject: str | None = "Pricing",
    modified: timedelta = timedelta(0),
    is_draft: bool = False,
) -> EmailItem:
    return EmailItem(
        item_id=item_id,
        direction=direction,
        occurred_at=T0,
        modified_at=T0 + modified,
        sender=person(sender, "Sender"),
        to=tuple(person(a) for a in to),
        cc=tuple(person(a) for a in cc),
        subject=subject,
        internet_message_id=f"<{item_id}@customer.example>",
        conversation_id="conv-1",
        is_draft=is_draft,
    )


def meeting(
    item_id: str = "e1",
    *,
    organizer: str = OWNER,
    attendees: tuple[str, ...] = ("buyer@customer.example",),
    sensitivity: Sensitivity = Sensitivity.NORMAL,
    is_cancelled: bool = False,
    modified: timedelta = timedelta(0),
    subject: str | None = "Demo",
) -> MeetingItem:
    return MeetingItem(
        item_id=item_id,
        start=T0,
        end=T0 + timedelta(hours=1),
        modified_at=T0 + modified,
        organizer=person(organizer),
        attendees=tuple(Attendee(person(a), Response.ACCEPTED) for a in attendees),
        subject=subject,
        ical_uid=f"uid-{item_id}",
        sensitivity=sensitivity,
        is_cancelled=is_cancelled,
    )
