"""The Google walks: Gmail full sync and history, Calendar full and incremental sync, watch/stop.

Each walk is an async iterator of batches; a batch holds parsed items and the cursor to store once
those items are acknowledged downstream. Nothing here publishes or stores: that is the capture
framework's job. Errors surface as `GoogleApiError`; CURSOR_EXPIRED means "start a full sync".
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from services.capture.domain.quarantine import UNREADABLE, Rejected, RejectReason, reason_of, safe_id
from services.capture.providers.google.calendar import EventParseError, is_captured, parse_event
from services.capture.providers.google.client import (
    GoogleApiError,
    GoogleWorkspaceClient,
    RequestBuilder,
    Services,
    Slot,
)
from services.capture.providers.google.cursors import CalendarCursor, GmailCursor
from services.capture.providers.google.errors import ErrorClass, GoogleFailure, Operation
from services.capture.providers.google.gmail import (
    HISTORY_TYPES,
    METADATA_HEADERS,
    HistoryAction,
    parse_message,
    plan_history,
)
from services.capture.providers.google.items import (
    MailChange,
    MailItem,
    MailRemoval,
    MeetingChange,
    MeetingItem,
    RemovalReason,
)

_log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class GmailBatch:
    items: tuple[MailChange, ...]
    skipped: int  # messages read but not captured (draft, spam, trash, chat)
    cursor: GmailCursor  # store once `items` are acknowledged
    complete: bool  # the walk ended with this batch
    rejected: tuple[Rejected, ...] = ()  # messages that could not be read: quarantined


@dataclass(frozen=True)
class CalendarBatch:
    items: tuple[MeetingChange, ...]
    skipped: int  # entries that are not meetings (out of office...)
    cursor: CalendarCursor
    complete: bool
    rejected: tuple[Rejected, ...] = ()  # entries that could not be read: quarantined


@dataclass(frozen=True)
class GmailWatch:
    history_id: int
    expires_at: datetime


@dataclass(frozen=True)
class CalendarChannel:
    channel_id: str
    resource_id: str
    resource_uri: str
    expires_at: datetime | None


def _metadata(message_id: str) -> RequestBuilder:
    """messages.get(format=metadata) of one message, with the headers capture reads."""

    def request(s: Services) -> Any:
        return s.message_metadata(message_id, _HEADERS)

    return request


_HEADERS = list(METADATA_HEADERS)


async def gmail_messages(
    client: GoogleWorkspaceClient, user: str, message_ids: Sequence[str], *, slot: Slot | None = None
) -> list[dict[str, Any] | None]:
    """messages.get(format=metadata) of each id (admission by `slot` or the client's per-user
    limit); None for the ones that are gone."""
    return await client.call_each(user, Operation.GMAIL_GET, [_metadata(i) for i in message_ids], slot=slot)


async def gmail_full_page(
    client: GoogleWorkspaceClient,
    user: str,
    cursor: GmailCursor | None,
    *,
    page_size: int = 500,
    not_before: datetime | None = None,
    slot: Slot | None = None,
) -> GmailBatch:
    """One page of the full sync: the first (from the profile's historyId, taken before listing, so
    that history.list from it afterwards misses nothing that changed during the walk) when `cursor`
    is None or not inside a full sync, else the page it points at. `not_before` bounds the walk (a
    resync after an expired historyId need not reread years of mail): listing is newest first, so
    the walk ends at the first page that reaches older mail."""
    if cursor is not None and cursor.in_full_sync:
        start, page = cursor.history_id, cursor.full_sync_page
    else:
        profile = await client.call(
            user, Operation.GMAIL_PROFILE, lambda s: s.users.getProfile(userId="me"), slot=slot
        )
        start, page = int(profile["historyId"]), None

    def list_page(s: Services) -> Any:
        return s.messages.list(userId="me", maxResults=page_size, pageToken=page, includeSpamTrash=False)

    response = await client.call(user, Operation.GMAIL_LIST, list_page, slot=slot)
    references = response.get("messages", [])
    resources = await gmail_messages(client, user, [str(r["id"]) for r in references], slot=slot)
    bound_ms = int(not_before.timestamp() * 1000) if not_before is not None else None
    items: list[MailChange] = []
    rejected: list[Rejected] = []
    skipped, reached_bound = 0, False
    for reference, resource in zip(references, resources, strict=True):
        if resource is None:
            continue  # deleted since listing; history from `start` reports it
        internal = _internal_ms(resource)
        if bound_ms is not None and internal is not None and internal < bound_ms:
            reached_bound = True
            continue
        parsed = _read_message(str(reference["id"]), resource, rejected)
        if parsed is None:
            continue
        if isinstance(parsed, MailItem):
            items.append(parsed)
        else:
            skipped += 1
    next_page = response.get("nextPageToken")
    done = not next_page or reached_bound
    following = GmailCursor(start, None if done else str(next_page))
    return GmailBatch(tuple(items), skipped, following, done, tuple(rejected))


def _internal_ms(resource: dict[str, Any]) -> int | None:
    value = resource.get("internalDate", "0")
    return int(value) if isinstance(value, str | int) and str(value).lstrip("-").isdigit() else None


def _read_message(
    message_id: str, resource: dict[str, Any], rejected: list[Rejected]
) -> MailItem | MailRemoval | None:
    """The message parsed, or None after adding it to `rejected` (unreadable: quarantined)."""
    try:
        parsed = parse_message(resource)
    except UNREADABLE as exc:
        rejected.append(Rejected(safe_id(message_id), reason_of(exc)))
        return None
    if parsed is None:
        rejected.append(Rejected(safe_id(message_id), RejectReason.BAD_DATE))
    return parsed


async def gmail_full_sync(
    client: GoogleWorkspaceClient,
    user: str,
    *,
    resume: GmailCursor | None = None,
    page_size: int = 500,
    not_before: datetime | None = None,
) -> AsyncGenerator[GmailBatch, None]:
    """Every message (newest first), page by page: `gmail_full_page` until the walk completes."""
    cursor = resume
    while True:
        batch = await gmail_full_page(client, user, cursor, page_size=page_size, not_before=not_before)
        yield batch
        if batch.complete:
            return
        cursor = batch.cursor


async def gmail_history_page(
    client: GoogleWorkspaceClient,
    user: str,
    cursor: GmailCursor,
    *,
    page_size: int = 500,
    slot: Slot | None = None,
) -> GmailBatch:
    """One page of changes since `cursor.history_id` (at `cursor.history_page`). Manual paging:
    `list_next` breaks on the repeated historyTypes parameter. Mid-walk, the cursor keeps the start
    and the next page token, so a restart re-reads no more than one page; at the end it is the
    response's `historyId`."""

    def history_page(s: Services) -> Any:
        return s.history.list(
            userId="me",
            startHistoryId=str(cursor.history_id),
            historyTypes=list(HISTORY_TYPES),
            maxResults=page_size,
            pageToken=cursor.history_page,
        )

    response = await client.call(user, Operation.GMAIL_HISTORY, history_page, slot=slot)
    plan = plan_history(response.get("history", []))
    fetches = [change for change in plan if change.action is HistoryAction.FETCH]
    fetched = await gmail_messages(client, user, [change.message_id for change in fetches], slot=slot)
    by_id = {change.message_id: resource for change, resource in zip(fetches, fetched, strict=True)}
    items: list[MailChange] = []
    rejected: list[Rejected] = []
    skipped = 0
    for change in plan:
        if change.action is HistoryAction.REMOVE:
            reason = change.reason or RemovalReason.DELETED
            items.append(MailRemoval(change.message_id, reason, change.history_id))
            continue
        resource = by_id[change.message_id]
        if resource is None:
            items.append(MailRemoval(change.message_id, RemovalReason.DELETED, change.history_id))
            continue
        parsed = _read_message(change.message_id, resource, rejected)
        if parsed is not None:
            items.append(parsed)
    next_page = response.get("nextPageToken")
    if next_page:
        following = GmailCursor(cursor.history_id, history_page=str(next_page))
        return GmailBatch(tuple(items), skipped, following, False, tuple(rejected))
    return GmailBatch(tuple(items), skipped, GmailCursor(int(response["historyId"])), True, tuple(rejected))


async def gmail_history(
    client: GoogleWorkspaceClient, user: str, *, start_history_id: int, page_size: int = 500
) -> AsyncGenerator[GmailBatch, None]:
    """Changes since `start_history_id`, page by page: `gmail_history_page` until the end."""
    cursor = GmailCursor(start_history_id)
    while True:
        batch = await gmail_history_page(client, user, cursor, page_size=page_size)
        yield batch
        if batch.complete:
            return
        cursor = batch.cursor


async def calendar_page(
    client: GoogleWorkspaceClient,
    user: str,
    cursor: CalendarCursor | None,
    *,
    page_size: int = 250,
    slot: Slot | None = None,
) -> CalendarBatch:
    """One page of the primary calendar, occurrences expanded (singleEvents), without a time window
    so that the sync token can continue it. With no sync token this is the full sync; pages may be
    empty while a nextPageToken is present, and the nextSyncToken comes on the last page only."""
    sync_token = cursor.sync_token if cursor else None
    page = cursor.page_token if cursor else None
    arguments: dict[str, Any] = {"calendarId": "primary", "singleEvents": True, "maxResults": page_size}
    if sync_token:
        arguments["syncToken"] = sync_token
    if page:
        arguments["pageToken"] = page
    response = await client.call(
        user, Operation.CALENDAR_LIST, lambda s: s.events.list(**arguments), slot=slot
    )
    items: list[MeetingChange] = []
    rejected: list[Rejected] = []
    skipped = 0
    for resource in response.get("items", []):
        try:
            parsed = parse_event(resource)
        except UNREADABLE as exc:
            event_id = resource.get("id") if isinstance(resource, dict) else None
            reason = RejectReason.BAD_DATE if isinstance(exc, EventParseError) else reason_of(exc)
            if not isinstance(event_id, str) or not event_id:
                reason = RejectReason.MISSING_ID
            rejected.append(Rejected(safe_id(event_id), reason))
            continue
        if isinstance(parsed, MeetingItem) and not is_captured(parsed):
            skipped += 1
            continue
        items.append(parsed)
    next_page = response.get("nextPageToken")
    if next_page:
        following = CalendarCursor(sync_token, str(next_page))
        return CalendarBatch(tuple(items), skipped, following, False, tuple(rejected))
    next_sync = response.get("nextSyncToken")
    if not next_sync:
        failure = GoogleFailure(ErrorClass.PERMANENT, 200, "noSyncToken", "last page had no nextSyncToken")
        raise GoogleApiError(user, Operation.CALENDAR_LIST, failure)
    return CalendarBatch(tuple(items), skipped, CalendarCursor(str(next_sync)), True, tuple(rejected))


async def calendar_sync(
    client: GoogleWorkspaceClient, user: str, *, cursor: CalendarCursor | None = None, page_size: int = 250
) -> AsyncGenerator[CalendarBatch, None]:
    """The calendar page by page: `calendar_page` until the sync token."""
    while True:
        batch = await calendar_page(client, user, cursor, page_size=page_size)
        yield batch
        if batch.complete:
            return
        cursor = batch.cursor


async def gmail_watch(
    client: GoogleWorkspaceClient,
    user: str,
    *,
    topic: str,
    label_ids: Sequence[str] = (),
    exclude: bool = False,
    slot: Slot | None = None,
) -> GmailWatch:
    """Start (or renew: calling again replaces the watch) Pub/Sub push for the mailbox."""
    body: dict[str, Any] = {"topicName": topic, "labelFilterBehavior": "exclude" if exclude else "include"}
    if label_ids:
        body["labelIds"] = list(label_ids)
    response = await client.call(
        user, Operation.GMAIL_WATCH, lambda s: s.users.watch(userId="me", body=body), slot=slot
    )
    expires = datetime.fromtimestamp(int(response["expiration"]) / 1000, UTC)
    return GmailWatch(int(response["historyId"]), expires)


async def gmail_stop(client: GoogleWorkspaceClient, user: str, *, slot: Slot | None = None) -> None:
    await client.call(user, Operation.GMAIL_STOP, lambda s: s.users.stop(userId="me"), slot=slot)


async def calendar_watch(
    client: GoogleWorkspaceClient,
    user: str,
    *,
    channel_id: str,
    address: str,
    token: str,
    ttl_sec: int | None = None,
    slot: Slot | None = None,
) -> CalendarChannel:
    """Open a web-hook channel on the primary calendar (a new id each time: channels never renew)."""
    body: dict[str, Any] = {"id": channel_id, "type": "web_hook", "address": address, "token": token}
    if ttl_sec is not None:
        body["params"] = {"ttl": str(ttl_sec)}
    response = await client.call(
        user,
        Operation.CALENDAR_WATCH,
        lambda s: s.events.watch(calendarId="primary", body=body),
        slot=slot,
    )
    expiration = response.get("expiration")
    return CalendarChannel(
        channel_id=str(response["id"]),
        resource_id=str(response["resourceId"]),
        resource_uri=str(response.get("resourceUri", "")),
        expires_at=datetime.fromtimestamp(int(expiration) / 1000, UTC) if expiration else None,
    )


async def calendar_stop(
    client: GoogleWorkspaceClient, user: str, channel: CalendarChannel, *, slot: Slot | None = None
) -> None:
    """Stop a channel; one that is already gone counts as stopped."""
    body = {"id": channel.channel_id, "resourceId": channel.resource_id}
    try:
        await client.call(user, Operation.CALENDAR_STOP, lambda s: s.channels.stop(body=body), slot=slot)
    except GoogleApiError as exc:
        if exc.error_class is not ErrorClass.NOT_FOUND:
            raise
