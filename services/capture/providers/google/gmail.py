"""Gmail resources → parsed mail changes. Pure: no I/O, no SDK."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum
from typing import Any

from services.capture.domain.quarantine import ItemRejected, RejectReason
from services.capture.providers.google.items import (
    MailItem,
    MailKind,
    MailRemoval,
    Participant,
    RemovalReason,
    Role,
)

METADATA_HEADERS = ("From", "To", "Cc", "Date", "Message-ID", "Subject")
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
# Labels that make a message something other than sent or received mail.
SKIP_LABELS = frozenset({"DRAFT", "SPAM", "TRASH", "CHAT"})
# Label changes that can change whether or how a message is captured (INBOX comes and goes on archive).
_DECISIVE_LABELS = SKIP_LABELS | {"SENT"}
# A Date header further than this from Gmail's receipt time is not believed (forged or broken clocks).
DATE_HEADER_TOLERANCE = timedelta(days=1)


def skip_reason(labels: Iterable[str]) -> str | None:
    """Why a message with these labels is not captured, or None when it is."""
    for label in sorted(SKIP_LABELS & set(labels)):
        return label
    return None


def _headers(resource: Mapping[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for header in resource.get("payload", {}).get("headers", ()):
        found.setdefault(str(header.get("name", "")).lower(), []).append(str(header.get("value", "")))
    return found


def _decoded(text: str) -> str:
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError):
        return text


# `Name <address>` or a bare address, with nothing that needs RFC 5322's full grammar.
_SIMPLE_ADDRESS = re.compile(r"\s*(?:(?P<name>[^<>]*?)\s*<(?P<angle>[^<>\s]+)>|(?P<bare>[^<>\s]+))\s*")
_NEEDS_FULL_GRAMMAR = frozenset('"(\\:;')


def _addresses(values: Sequence[str]) -> Iterable[tuple[str, str]]:
    """(display name, address) pairs, as `email.utils.getaddresses` gives them. Most headers are a
    plain comma-separated list, read here with one regular expression; anything with quoting,
    comments or groups goes to `getaddresses` (several times slower, and this runs per message)."""
    for value in values:
        if not _NEEDS_FULL_GRAMMAR.isdisjoint(value):
            yield from getaddresses([value])
            continue
        for part in value.split(","):
            if not part.strip():
                continue
            match = _SIMPLE_ADDRESS.fullmatch(part)
            if match is None:
                yield from getaddresses([part])
            elif match["angle"]:
                yield match["name"] or "", match["angle"]
            else:
                yield "", match["bare"]


def parse_addresses(values: Sequence[str], role: Role) -> list[Participant]:
    """Addresses of one header (repeated headers allowed), display names decoded, duplicates dropped."""
    participants: dict[str, Participant] = {}
    for name, address in _addresses(values):
        address = address.strip().lower()
        if "@" not in address or address in participants:
            continue
        participants[address] = Participant(address, " ".join(_decoded(name).split()), role)
    return list(participants.values())


def parse_sent_time(date_header: str | None, internal_date_ms: str | None) -> datetime | None:
    """The Date header when it parses and is plausible, else Gmail's internalDate (epoch ms)."""
    internal = None
    if internal_date_ms and internal_date_ms.lstrip("-").isdigit():
        try:
            internal = datetime.fromtimestamp(int(internal_date_ms) / 1000, UTC)
        except (OverflowError, ValueError, OSError) as exc:
            raise ItemRejected(RejectReason.ABSURD_DATE, "internalDate") from exc
    header = None
    if date_header:
        try:
            header = parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            header = None
        if header is not None and header.tzinfo is None:
            header = None  # "-0000" or no zone: RFC 5322 says the zone is unknown
    if header is not None and (internal is None or abs(header - internal) <= DATE_HEADER_TOLERANCE):
        return header
    return internal


def parse_message(resource: Mapping[str, Any]) -> MailItem | MailRemoval | None:
    """A messages.get(format=metadata) resource as a capturable item, a removal when its labels say
    it must not count, or None when it carries no usable time at all."""
    message_id = str(resource["id"])
    labels = frozenset(str(label) for label in resource.get("labelIds", ()))
    history_id = _int(resource.get("historyId"))
    if skip_reason(labels) is not None:
        return MailRemoval(message_id, RemovalReason.SKIPPED, history_id)
    headers = _headers(resource)
    occurred_at = parse_sent_time(_first(headers, "date"), _str(resource.get("internalDate")))
    if occurred_at is None:
        return None
    participants = [
        *parse_addresses(headers.get("from", []), Role.FROM),
        *parse_addresses(headers.get("to", []), Role.TO),
        *parse_addresses(headers.get("cc", []), Role.CC),
    ]
    subject = _first(headers, "subject")
    return MailItem(
        message_id=message_id,
        thread_id=str(resource.get("threadId") or message_id),
        internet_message_id=(_first(headers, "message-id") or "").strip() or None,
        kind=MailKind.SENT if "SENT" in labels else MailKind.RECEIVED,
        occurred_at=occurred_at,
        participants=tuple(participants),
        subject=_decoded(subject) if subject is not None else None,
        labels=labels,
        history_id=history_id,
    )


class HistoryAction(StrEnum):
    FETCH = "fetch"  # (re)read the message's metadata and capture it
    REMOVE = "remove"  # the message must no longer count


@dataclass(frozen=True)
class PlannedChange:
    message_id: str
    action: HistoryAction
    reason: RemovalReason | None
    history_id: int


def plan_history(records: Iterable[Mapping[str, Any]]) -> list[PlannedChange]:
    """What one page of history records means, one decision per message (the last one wins).

    New messages that arrive already skipped (a draft being saved, spam) are ignored rather than
    announced as removals: they were never captured. Label changes matter only when they add or
    remove SENT, DRAFT, SPAM, TRASH or CHAT.
    """
    plan: dict[str, PlannedChange] = {}
    for record in records:
        record_id = _int(record.get("id")) or 0
        for added in record.get("messagesAdded", ()):
            message = added.get("message", {})
            if skip_reason(message.get("labelIds", ())) is None:
                plan[message["id"]] = PlannedChange(message["id"], HistoryAction.FETCH, None, record_id)
            else:
                plan.pop(message["id"], None)
        for deleted in record.get("messagesDeleted", ()):
            message_id = deleted.get("message", {})["id"]
            plan[message_id] = PlannedChange(
                message_id, HistoryAction.REMOVE, RemovalReason.DELETED, record_id
            )
        for key in ("labelsAdded", "labelsRemoved"):
            for change in record.get(key, ()):
                if _DECISIVE_LABELS.isdisjoint(change.get("labelIds", ())):
                    continue
                message = change.get("message", {})
                if skip_reason(message.get("labelIds", ())) is None:
                    plan[message["id"]] = PlannedChange(message["id"], HistoryAction.FETCH, None, record_id)
                else:
                    plan[message["id"]] = PlannedChange(
                        message["id"], HistoryAction.REMOVE, RemovalReason.SKIPPED, record_id
                    )
    return list(plan.values())


def _first(headers: Mapping[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
