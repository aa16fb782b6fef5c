"""Creating and changing messages and events in an emulated mailbox, the way Outlook would."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from services.sandbox.emulators.microsoft.model import (
    ALL_FIELDS,
    CALENDAR,
    MAIL_FOLDERS,
    HistoryEntry,
    Item,
    JsonObject,
    Mailbox,
    graph_datetime_tz,
    graph_time,
    parse_event_time,
)

# Called after every change: (mailbox, item, "created" | "updated" | "deleted").
ChangeListener = Callable[[Mailbox, Item, str], None]


def address(addr: str, name: str = "") -> JsonObject:
    return {"emailAddress": {"name": name or addr.split("@")[0].replace(".", " ").title(), "address": addr}}


def _etag(item_id: str, seq: int) -> str:
    return 'W/"' + hashlib.sha1(f"{item_id}:{seq}".encode()).hexdigest()[:24] + '"'


def new_message(
    mailbox: Mailbox,
    *,
    folder: str,
    sender: str,
    to: Iterable[str],
    cc: Iterable[str] = (),
    subject: str = "",
    sent_at: datetime,
    body: str = "",
    conversation_id: str | None = None,
    is_draft: bool = False,
) -> Item:
    if folder not in MAIL_FOLDERS:
        raise ValueError(f"unknown folder {folder!r}")
    seq = mailbox.next_seq()
    item_id = mailbox.new_item_id("message")
    sent = sent_at.astimezone(UTC)
    data: JsonObject = {
        "@odata.type": "#microsoft.graph.message",
        "createdDateTime": graph_time(sent),
        "lastModifiedDateTime": graph_time(sent),
        "changeKey": f"CQAAA{seq}",
        "categories": [],
        "receivedDateTime": graph_time(sent + timedelta(seconds=2)),
        "sentDateTime": None if is_draft else graph_time(sent),
        "hasAttachments": False,
        "internetMessageId": f"<{item_id.lower()}@{sender.split('@')[-1]}>",
        "subject": subject,
        "bodyPreview": body[:255],
        "importance": "normal",
        "parentFolderId": f"folder-{folder}",
        "conversationId": conversation_id or f"conv-{item_id[-10:]}",
        "isRead": folder == "sentitems",
        "isDraft": is_draft,
        "webLink": f"https://outlook.office365.com/owa/?ItemID={item_id}",
        "inferenceClassification": "focused",
        "body": {"contentType": "html", "content": f"<html><body>{body}</body></html>"},
        "sender": address(sender),
        "from": address(sender),
        "toRecipients": [address(a) for a in to],
        "ccRecipients": [address(a) for a in cc],
        "bccRecipients": [],
        "replyTo": [],
        "flag": {"flagStatus": "notFlagged"},
    }
    item = Item(item_id, "message", data, [HistoryEntry(seq, ALL_FIELDS, folder)])
    item.data["@odata.etag"] = _etag(item_id, seq)
    mailbox.items[item_id] = item
    return item


def new_event(
    mailbox: Mailbox,
    *,
    organizer: str,
    attendees: Iterable[str],
    start: datetime,
    end: datetime,
    subject: str = "",
    body: str = "",
    sensitivity: str = "normal",
    is_all_day: bool = False,
    created_at: datetime | None = None,
    show_as: str = "busy",  # "oof": an out-of-office entry, as Outlook makes for a holiday
) -> Item:
    seq = mailbox.next_seq()
    item_id = mailbox.new_item_id("event")
    created = (created_at or start - timedelta(days=7)).astimezone(UTC)
    is_organizer = organizer.lower() == mailbox.upn
    data: JsonObject = {
        "@odata.type": "#microsoft.graph.event",
        "createdDateTime": graph_time(created),
        "lastModifiedDateTime": graph_time(created),
        "changeKey": f"DwAAA{seq}",
        "categories": [],
        "originalStartTimeZone": "UTC",
        "originalEndTimeZone": "UTC",
        "iCalUId": "040000008200E00074C5B7101A82E008"
        + hashlib.sha1(item_id.encode()).hexdigest()[:32].upper(),
        "reminderMinutesBeforeStart": 15,
        "isReminderOn": True,
        "hasAttachments": False,
        "subject": subject,
        "bodyPreview": body[:255],
        "importance": "normal",
        "sensitivity": sensitivity,
        "isAllDay": is_all_day,
        "isCancelled": False,
        "isOrganizer": is_organizer,
        "responseRequested": True,
        "seriesMasterId": None,
        "showAs": show_as,
        "type": "singleInstance",
        "webLink": f"https://outlook.office365.com/owa/?itemid={item_id}",
        "isOnlineMeeting": False,
        "onlineMeetingProvider": "unknown",
        "isDraft": False,
        "responseStatus": {
            "response": "organizer" if is_organizer else "notResponded",
            "time": "0001-01-01T00:00:00Z",
        },
        "body": {"contentType": "html", "content": f"<html><body>{body}</body></html>"},
        "start": graph_datetime_tz(start),
        "end": graph_datetime_tz(end),
        "location": {"displayName": "", "locationType": "default"},
        "locations": [],
        "recurrence": None,
        "attendees": [
            {"type": "required", "status": {"response": "none", "time": "0001-01-01T00:00:00Z"}, **address(a)}
            for a in attendees
        ],
        "organizer": address(organizer),
        "onlineMeeting": None,
    }
    item = Item(item_id, "event", data, [HistoryEntry(seq, ALL_FIELDS, CALENDAR)])
    item.data["@odata.etag"] = _etag(item_id, seq)
    mailbox.items[item_id] = item
    return item


def _touch(mailbox: Mailbox, item: Item, fields: set[str], folder: str | None, now: datetime) -> None:
    seq = mailbox.next_seq()
    previous = datetime.fromisoformat(str(item.data["lastModifiedDateTime"]).replace("Z", "+00:00"))
    modified = max(now.astimezone(UTC).replace(microsecond=0), previous + timedelta(seconds=1))
    item.data["lastModifiedDateTime"] = graph_time(modified)
    item.data["changeKey"] = f"CQAAA{seq}"
    item.data["@odata.etag"] = _etag(item.id, seq)
    fields |= {"lastModifiedDateTime", "changeKey"}
    item.history.append(HistoryEntry(seq, frozenset(fields), folder))


def update_item(mailbox: Mailbox, item: Item, changes: JsonObject, *, now: datetime) -> None:
    """Set Graph properties on an item (e.g. {"isRead": true} or new attendees)."""
    if item.folder is None:
        raise KeyError(item.id)
    unknown = set(changes) - set(item.data)
    if unknown:
        raise ValueError(f"unknown properties {sorted(unknown)}")
    item.data.update(changes)
    _touch(mailbox, item, set(changes), item.folder, now)


def reschedule_event(mailbox: Mailbox, item: Item, *, start: datetime, end: datetime, now: datetime) -> None:
    update_item(mailbox, item, {"start": graph_datetime_tz(start), "end": graph_datetime_tz(end)}, now=now)


def cancel_event(mailbox: Mailbox, item: Item, *, now: datetime) -> None:
    """Cancelled by the organizer: attendees keep the event, flagged and renamed, as Outlook does."""
    subject = str(item.data.get("subject", ""))
    update_item(mailbox, item, {"isCancelled": True, "subject": f"Canceled: {subject}"}, now=now)


def move_message(mailbox: Mailbox, item: Item, folder: str, *, now: datetime) -> None:
    if folder not in MAIL_FOLDERS:
        raise ValueError(f"unknown folder {folder!r}")
    item.data["parentFolderId"] = f"folder-{folder}"
    item.moves += 1
    _touch(mailbox, item, {"parentFolderId"}, folder, now)


def delete_item(mailbox: Mailbox, item: Item, *, now: datetime) -> None:
    """A hard delete: the item is gone for good (GET answers 404)."""
    if item.folder is None:
        raise KeyError(item.id)
    _touch(mailbox, item, set(), None, now)


def event_span(item: Item) -> tuple[datetime, datetime]:
    return parse_event_time(item.data["start"]), parse_event_time(item.data["end"])
