"""Item-level quarantine: an item capture cannot read or trust is set aside, never the mailbox.

A provider item that does not parse (a date that is not a date, no id, a field of the wrong type) or
that parses into something absurd (a date before e-mail existed or centuries ahead, a meeting that
ends before it starts, a received mail without a sender, megabytes of subject, text that is not
valid Unicode) becomes a `Rejected`: counted by reason, recorded on the dead-letter topic with its
provider id and the reason (never its content), and skipped. The page's cursor still advances, so
one poison item never holds back the items after it (the archived Nylas engine's best-known bug).

Reasons are a closed set: they label a metric, so they never carry data from the item.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.capture.domain.items import CapturedItem, Direction, EmailItem, MeetingItem, Person


class RejectReason(enum.Enum):
    MISSING_ID = "missing_id"
    BAD_DATE = "bad_date"  # missing, or not a date at all
    ABSURD_DATE = "absurd_date"  # a date, but not one an item can have
    MISSING_SENDER = "missing_sender"
    OVERSIZED = "oversized_field"
    INVALID_TEXT = "invalid_text"  # not encodable as UTF-8 (lone surrogates) or control characters
    WRONG_TYPE = "wrong_type"
    UNREADABLE = "unreadable"  # anything else the parser could not make sense of


@dataclass(frozen=True)
class Rejected:
    """One quarantined item: the provider's id (empty when it had none) and why. No content."""

    item_id: str
    reason: RejectReason


class ItemRejected(ValueError):
    """Raised by a provider parser for an item it cannot read; the connector turns it into a `Rejected`."""

    def __init__(self, reason: RejectReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason


# What a provider parser may raise on a hostile item, besides `ItemRejected` (a ValueError); each
# quarantines that item only. OSError: `datetime.fromtimestamp` on an absurd epoch value.
UNREADABLE: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    OverflowError,
    OSError,
)


def reason_of(exc: BaseException) -> RejectReason:
    """The reason a parser's exception stands for. Pure."""
    if isinstance(exc, ItemRejected):
        return exc.reason
    if isinstance(exc, UnicodeError):
        return RejectReason.INVALID_TEXT
    if isinstance(exc, OverflowError | OSError):
        return RejectReason.ABSURD_DATE
    if isinstance(exc, TypeError | AttributeError | KeyError):
        return RejectReason.WRONG_TYPE
    return RejectReason.UNREADABLE


def safe_id(value: object) -> str:
    """A provider id fit for a dead-letter header: a short printable string, or empty."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return ""
    text = str(value)
    if len(text) > MAX_ID or not text.isprintable():
        return ""
    return text


# Generous bounds: real items are far inside them; what is outside is an attack or a corrupt store.
MAX_ID = 1024
MAX_SUBJECT = 4096
MAX_ADDRESS = 320  # RFC 5321: 64 + 1 + 255
MAX_NAME = 1024
MAX_PEOPLE = 5000
EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)  # before this, a date is a parser's default or garbage
LATEST_AHEAD = timedelta(days=366 * 20)
LONGEST_MEETING = timedelta(days=366)


def _bad_text(value: str) -> RejectReason | None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return RejectReason.INVALID_TEXT
    if "\x00" in value:
        return RejectReason.INVALID_TEXT
    return None


def _check_text(value: str, limit: int) -> RejectReason | None:
    if len(value) > limit:
        return RejectReason.OVERSIZED
    if value.isascii() and "\x00" not in value:
        return None  # the common case: ASCII always encodes, so the encoding attempt is not needed
    return _bad_text(value)


def _check_people(people: Iterable[Person]) -> RejectReason | None:
    count = 0
    for p in people:
        count += 1
        reason = _check_text(p.address, MAX_ADDRESS) or _check_text(p.name, MAX_NAME)
        if reason is not None:
            return reason
    return RejectReason.OVERSIZED if count > MAX_PEOPLE else None


def _check_dates(dates: Iterable[datetime], now: datetime) -> RejectReason | None:
    for value in dates:
        if not isinstance(value, datetime) or value.tzinfo is None:
            return RejectReason.BAD_DATE
        if value < EARLIEST or value > now + LATEST_AHEAD:
            return RejectReason.ABSURD_DATE
    return None


def check_item(item: CapturedItem, *, now: datetime) -> RejectReason | None:
    """Why `item` must not be published, or None when it is fit. Pure."""
    if not item.item_id:
        return RejectReason.MISSING_ID
    reason = _check_text(item.item_id, MAX_ID)
    if reason is not None:
        return reason
    if isinstance(item, EmailItem):
        reason = _check_dates((item.occurred_at, item.modified_at), now)
        if reason is None and item.sender is None and item.direction is Direction.RECEIVED:
            reason = RejectReason.MISSING_SENDER
        texts = (item.internet_message_id, item.conversation_id)
    else:
        assert isinstance(item, MeetingItem)
        reason = _check_dates((item.start, item.end, item.modified_at), now)
        if reason is None and (item.end < item.start or item.end - item.start > LONGEST_MEETING):
            reason = RejectReason.ABSURD_DATE
        texts = (item.ical_uid, item.series_id)
    if reason is not None:
        return reason
    if item.subject is not None:
        reason = _check_text(item.subject, MAX_SUBJECT)
    for text in texts:
        reason = reason or _check_text(text, MAX_ID)
    return reason or _check_people(item.people())
