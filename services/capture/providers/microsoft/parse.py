"""Graph messages and events → neutral items, merging partial updates into the last full view.

Graph sends an updated item with its id and "at least the properties that changed"; each function
here overlays what came over what capture remembered. Without a remembered view, a partial item
gives None and the caller fetches the whole item. Bodies and previews are never read.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.capture.domain.items import (
    Attendee,
    Direction,
    EmailItem,
    MeetingItem,
    Person,
    Response,
    Sensitivity,
    person,
)
from services.capture.domain.quarantine import ItemRejected, RejectReason

# Everything capture reads of a message, and nothing more: never `body` or `bodyPreview`.
MESSAGE_SELECT = (
    "subject,from,sender,toRecipients,ccRecipients,sentDateTime,receivedDateTime,lastModifiedDateTime,"
    "internetMessageId,conversationId,isDraft,parentFolderId"
)
_RESPONSES = {
    "none": Response.NONE,
    "organizer": Response.ORGANIZER,
    "accepted": Response.ACCEPTED,
    "tentativelyaccepted": Response.TENTATIVE,
    "declined": Response.DECLINED,
    "notresponded": Response.NOT_RESPONDED,
}
_SENSITIVITY = {s.value: s for s in Sensitivity}


def _time(value: Any) -> datetime | None:
    """An ISO-8601 time; None when absent; `ItemRejected` when present but not a time."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ItemRejected(RejectReason.BAD_DATE, "not a string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ItemRejected(RejectReason.BAD_DATE, "unparseable") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _zoned(value: Any) -> datetime | None:
    """Graph's {"dateTime": "2016-12-09T20:30:00.0000000", "timeZone": "UTC"}."""
    if value is None:
        return None
    if not _is_mapping(value) or not isinstance(value.get("dateTime"), str):
        raise ItemRejected(RejectReason.BAD_DATE, "not a dateTimeTimeZone")
    try:
        local = datetime.fromisoformat(value["dateTime"])
    except ValueError as exc:
        raise ItemRejected(RejectReason.BAD_DATE, "unparseable") from exc
    zone = str(value.get("timeZone") or "UTC")
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    if zone.upper() in ("UTC", "Z", "GMT"):
        return local.replace(tzinfo=UTC)
    try:
        return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    except (ZoneInfoNotFoundError, ValueError):
        # Windows zone names: we ask for UTC (Prefer: outlook.timezone), so this is a fallback only.
        return local.replace(tzinfo=UTC)


def _subject(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ItemRejected(RejectReason.WRONG_TYPE, "subject")
    return value


def _item_id(raw: Mapping[str, Any]) -> str:
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise ItemRejected(RejectReason.MISSING_ID)
    return item_id


def _is_mapping(value: Any) -> bool:
    # Parsed JSON objects are dicts: test that first, as `isinstance(value, Mapping)` goes through the
    # ABC machinery and this runs for every recipient of every message.
    return type(value) is dict or isinstance(value, Mapping)


# The same few people are on most items of a mailbox: one `Person` per (address, name) as Graph
# wrote them, not one per mention (lower-casing, stripping and a dataclass each time). A value, so
# sharing it is safe; bounded.
_interned_person = functools.lru_cache(maxsize=8192)(person)


def _person(value: Any) -> Person | None:
    if not _is_mapping(value):
        return None
    address = value.get("emailAddress")
    if not _is_mapping(address) or not address.get("address"):
        return None
    name = address.get("name") or ""
    if not isinstance(address["address"], str) or not isinstance(name, str):
        raise ItemRejected(RejectReason.WRONG_TYPE, "emailAddress")
    return _interned_person(address["address"], name)


def _people(value: Any) -> tuple[Person, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ItemRejected(RejectReason.WRONG_TYPE, "recipients")
    return tuple(p for p in (_person(v) for v in value) if p is not None)


def _attendees(value: Any) -> tuple[Attendee, ...]:
    out: list[Attendee] = []
    if value is not None and not isinstance(value, list):
        raise ItemRejected(RejectReason.WRONG_TYPE, "attendees")
    for raw in value or []:
        who = _person(raw)
        if who is None:
            continue
        status = raw.get("status")
        answer = status.get("response", "none") if _is_mapping(status) else "none"
        response = _RESPONSES.get(str(answer).lower(), Response.NONE)
        out.append(Attendee(who, response, is_resource=str(raw.get("type", "")).lower() == "resource"))
    return tuple(out)


def _required(changes: Mapping[str, Any], required: dict[str, RejectReason]) -> None:
    """A whole item (fetched by id) that still lacks what every item has is unreadable."""
    for key, reason in required.items():
        if key not in changes:
            raise ItemRejected(reason, f"no {key}")


_MESSAGE_REQUIRES = {
    "occurred_at": RejectReason.BAD_DATE,
    "modified_at": RejectReason.BAD_DATE,
    "sender": RejectReason.MISSING_SENDER,
}
_EVENT_REQUIRES = {
    "start": RejectReason.BAD_DATE,
    "end": RejectReason.BAD_DATE,
    "modified_at": RejectReason.BAD_DATE,
}


def parse_message(
    raw: Mapping[str, Any], *, direction: Direction, previous: EmailItem | None, whole: bool = False
) -> EmailItem | None:
    """`whole`: `raw` is the complete message (fetched by id), so what it lacks is missing, not
    unchanged: `ItemRejected` instead of None. Unreadable fields raise `ItemRejected` either way."""
    item_id = _item_id(raw)
    changes: dict[str, Any] = {"item_id": item_id, "direction": direction}
    when = "sentDateTime" if direction is Direction.SENT else "receivedDateTime"
    occurred = _time(raw.get(when)) or (
        _time(raw.get("receivedDateTime")) if direction is Direction.SENT else None
    )
    if occurred is not None:
        changes["occurred_at"] = occurred
    if (modified := _time(raw.get("lastModifiedDateTime"))) is not None:
        changes["modified_at"] = modified
    if "from" in raw or "sender" in raw:
        changes["sender"] = _person(raw.get("from")) or _person(raw.get("sender"))
    if "toRecipients" in raw:
        changes["to"] = _people(raw["toRecipients"])
    if "ccRecipients" in raw:
        changes["cc"] = _people(raw["ccRecipients"])
    if "subject" in raw:
        changes["subject"] = _subject(raw["subject"])
    if "internetMessageId" in raw:
        changes["internet_message_id"] = str(raw["internetMessageId"] or "")
    if "conversationId" in raw:
        changes["conversation_id"] = str(raw["conversationId"] or "")
    if "isDraft" in raw:
        changes["is_draft"] = bool(raw["isDraft"])
    if previous is not None:
        return dataclasses.replace(previous, **changes)
    if whole:
        _required(changes, _MESSAGE_REQUIRES)
        changes.setdefault("to", ())
    if not {"occurred_at", "modified_at", "sender", "to"} <= changes.keys():
        return None  # a partial update we cannot complete without the whole message
    return EmailItem(**changes)


def parse_event(
    raw: Mapping[str, Any], *, previous: MeetingItem | None, whole: bool = False
) -> MeetingItem | None:
    """As `parse_message`."""
    item_id = _item_id(raw)
    changes: dict[str, Any] = {"item_id": item_id}
    if (start := _zoned(raw.get("start"))) is not None:
        changes["start"] = start
    if (end := _zoned(raw.get("end"))) is not None:
        changes["end"] = end
    if (modified := _time(raw.get("lastModifiedDateTime"))) is not None:
        changes["modified_at"] = modified
    if "organizer" in raw:
        changes["organizer"] = _person(raw["organizer"])
    if "attendees" in raw:
        changes["attendees"] = _attendees(raw["attendees"])
    if "subject" in raw:
        changes["subject"] = _subject(raw["subject"])
    if "iCalUId" in raw:
        changes["ical_uid"] = str(raw["iCalUId"] or "")
    if "seriesMasterId" in raw:
        changes["series_id"] = str(raw["seriesMasterId"] or "")
    if "isAllDay" in raw:
        changes["is_all_day"] = bool(raw["isAllDay"])
    if "isCancelled" in raw:
        changes["is_cancelled"] = bool(raw["isCancelled"])
    if "sensitivity" in raw:
        changes["sensitivity"] = _SENSITIVITY.get(str(raw["sensitivity"]).lower(), Sensitivity.PRIVATE)
    if "showAs" in raw:
        changes["is_away"] = str(raw["showAs"]).lower() == "oof"
    if previous is not None:
        return dataclasses.replace(previous, **changes)
    if whole:
        _required(changes, _EVENT_REQUIRES)
    if not {"start", "end", "modified_at"} <= changes.keys():
        return None
    changes.setdefault("organizer", None)
    return MeetingItem(**changes)
