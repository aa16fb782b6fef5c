"""Parsed Google items → the capture framework's neutral items and changes. Pure.

Versions (the `modified_at` that becomes `source_modified_at`, on which scoring keeps the latest):
- Calendar events carry Google's `updated`; it is used as is.
- Gmail has no modified time. A message's `historyId` orders its versions but is not a time and
  cannot be compared with the wall-clock times of retractions, so the version of a message is the
  time capture observed it (`observed_at`), never earlier than the version already published
  (`known.modified_at` + 1 ms). A message is only re-published when what it says changed (content
  hash), so an unchanged message keeps the version it was first published with; a changed one (a
  label turned it from received into sent, or it was trashed and came back) always gets a later one.
- A cancelled occurrence (Google sends only its id, series and original start) is the published
  snapshot marked cancelled, versioned like a Gmail message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta

from services.capture.domain.items import (
    Attendee,
    Change,
    Direction,
    EmailItem,
    ItemGone,
    ItemKind,
    ItemSeen,
    KnownItem,
    Person,
    Response,
    Sensitivity,
)
from services.capture.domain.items import MeetingItem as NeutralMeeting
from services.capture.providers.google.calendar import OUT_OF_OFFICE
from services.capture.providers.google.items import (
    MailChange,
    MailItem,
    MailKind,
    MeetingChange,
    MeetingItem,
    Participant,
    RemovalReason,
    Role,
)
from services.capture.providers.google.items import Response as GoogleResponse
from services.capture.providers.google.items import Sensitivity as GoogleSensitivity

_VERSION_STEP = timedelta(milliseconds=1)
_RESPONSES = {r: Response(r.value) for r in GoogleResponse}


def next_version(observed_at: datetime, known: KnownItem | None) -> datetime:
    """The version of a change Google does not time: when capture saw it, after the published one."""
    if known is None:
        return observed_at
    return max(observed_at, known.modified_at + _VERSION_STEP)


def _person(p: Participant) -> Person:
    return Person(p.address, p.display_name)


def email_item(item: MailItem, *, version: datetime) -> EmailItem:
    senders = [p for p in item.participants if p.role is Role.FROM]
    return EmailItem(
        item_id=item.message_id,
        direction=Direction.SENT if item.kind is MailKind.SENT else Direction.RECEIVED,
        occurred_at=item.occurred_at,
        modified_at=version,
        # A second From address (RFC 5322 allows a list) counts as a recipient-side participant, so
        # exclusions and the internal-only rule still see it.
        sender=_person(senders[0]) if senders else None,
        to=tuple(_person(p) for p in item.participants if p.role is Role.TO),
        cc=tuple(_person(p) for p in (*senders[1:], *(p for p in item.participants if p.role is Role.CC))),
        subject=item.subject,
        internet_message_id=item.internet_message_id or "",
        conversation_id=item.thread_id,
    )


def mail_change(change: MailChange, *, observed_at: datetime, known: KnownItem | None) -> Change:
    """A parsed Gmail change as a neutral one. Any removal (deleted, or now draft/spam/trash/chat)
    means the message must no longer count: `ItemGone`, which retracts it if it was published."""
    if isinstance(change, MailItem):
        return ItemSeen(email_item(change, version=next_version(observed_at, known)))
    return ItemGone(ItemKind.EMAIL, change.message_id)


def meeting_item(item: MeetingItem, *, observed_at: datetime) -> NeutralMeeting:
    attendees = tuple(
        Attendee(_person(p), _RESPONSES[p.response]) for p in item.participants if p.role is Role.ATTENDEE
    )
    return NeutralMeeting(
        item_id=item.event_id,
        start=item.start,
        end=item.end,
        modified_at=item.updated or observed_at,
        organizer=_person(item.organizer) if item.organizer else None,
        attendees=attendees,
        subject=item.subject,
        ical_uid=item.ical_uid or "",
        series_id=item.series_id or "",
        is_all_day=item.all_day,
        sensitivity=Sensitivity.PRIVATE
        if item.sensitivity is GoogleSensitivity.PRIVATE
        else Sensitivity.NORMAL,
        is_away=item.event_type == OUT_OF_OFFICE,
    )


def meeting_changes(
    change: MeetingChange,
    *,
    observed_at: datetime,
    known: Mapping[str, KnownItem],
    series: Mapping[str, KnownItem] | None = None,
) -> list[Change]:
    """A parsed Calendar change as neutral ones.

    - a meeting → `ItemSeen`;
    - a deleted event → `ItemGone`, and, when it is a whole series (`series`: the published
      occurrences whose series id is this event's id), `ItemGone` for each of its occurrences;
    - a cancelled occurrence → the published snapshot marked cancelled (Google sends no more than its
      id), or nothing when it was never published.
    """
    if isinstance(change, MeetingItem):
        return [ItemSeen(meeting_item(change, observed_at=observed_at))]
    if change.reason is RemovalReason.OCCURRENCE_CANCELLED:
        before = known.get(change.event_id)
        snapshot = before.snapshot if before is not None else None
        if not isinstance(snapshot, NeutralMeeting):
            return []
        cancelled = dataclasses.replace(
            snapshot, is_cancelled=True, modified_at=next_version(observed_at, before)
        )
        return [ItemSeen(cancelled)]
    gone: list[Change] = [ItemGone(ItemKind.MEETING, change.event_id)]
    gone += [ItemGone(ItemKind.MEETING, i) for i in sorted(series or {}) if i != change.event_id]
    return gone
