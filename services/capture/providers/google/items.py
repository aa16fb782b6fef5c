"""What capture learns from Google, parsed but not yet normalized: one frozen value per mail or meeting.

These stay close to `Activity` (kind, participants with role and response, times, provider ids,
cancelled/deleted, sensitivity) so that mapping them onto the capture framework's neutral item model
is a field-by-field copy. They carry no tenant, rep or policy decision: those belong downstream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class MailKind(StrEnum):
    SENT = "email_sent"
    RECEIVED = "email_received"


class Role(StrEnum):
    FROM = "from"
    TO = "to"
    CC = "cc"
    ORGANIZER = "organizer"
    ATTENDEE = "attendee"


class Response(StrEnum):
    """A participant's answer to a meeting, in Activity's vocabulary."""

    NONE = "none"
    ORGANIZER = "organizer"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    NOT_RESPONDED = "not_responded"


class Sensitivity(StrEnum):
    NORMAL = "normal"
    PRIVATE = "private"  # Google visibility "private" or "confidential"


class RemovalReason(StrEnum):
    DELETED = "deleted"  # gone from the mailbox or calendar
    SKIPPED = "skipped"  # still there, but now labelled so that capture must not count it
    OCCURRENCE_CANCELLED = "occurrence_cancelled"  # one occurrence of a series no longer takes place


@dataclass(frozen=True)
class Participant:
    address: str  # lower-cased
    display_name: str
    role: Role
    response: Response = Response.NONE


@dataclass(frozen=True)
class MailItem:
    """One captured Gmail message (never a body)."""

    message_id: str  # Gmail's immutable message id
    thread_id: str
    internet_message_id: str | None  # the RFC 2822 Message-ID header
    kind: MailKind
    occurred_at: datetime  # aware
    participants: tuple[Participant, ...]
    subject: str | None
    labels: frozenset[str]
    history_id: int | None  # Gmail's version of the message: later changes have higher ids


@dataclass(frozen=True)
class MailRemoval:
    """A message that must no longer count: deleted, or labelled SPAM/TRASH/DRAFT/CHAT since."""

    message_id: str
    reason: RemovalReason
    history_id: int | None


@dataclass(frozen=True)
class MeetingItem:
    """One meeting occurrence as the mailbox owner's calendar shows it."""

    event_id: str  # an instance id (series_id + "_" + original start) for an occurrence
    ical_uid: str | None  # shared by every occurrence of a series
    series_id: str | None  # recurringEventId
    start: datetime  # aware; an all-day event starts at midnight UTC of its date
    end: datetime
    all_day: bool
    organizer: Participant | None
    participants: tuple[Participant, ...]  # organizer first, then attendees (resources left out)
    owner_response: Response  # the mailbox owner's own answer
    subject: str | None
    sensitivity: Sensitivity
    tentative: bool  # status "tentative"
    event_type: str  # default, outOfOffice, focusTime, workingLocation, birthday, fromGmail
    updated: datetime | None  # Google's last-modified time: later versions win


@dataclass(frozen=True)
class MeetingRemoval:
    """A deleted event (only its id is guaranteed) or a cancelled occurrence of a series."""

    event_id: str
    reason: RemovalReason
    series_id: str | None
    original_start: datetime | None


MailChange = MailItem | MailRemoval
MeetingChange = MeetingItem | MeetingRemoval
