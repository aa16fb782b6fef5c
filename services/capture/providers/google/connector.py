"""`ProviderConnector` for Google Workspace (PROVIDERS.md §6-§9).

Streams per mailbox:
- `gmail`: a full sync (profile historyId as the checkpoint, messages.list newest first back to
  `mail_backfill_days`, messages.get format=metadata), then history.list from the stored historyId;
  a 404 on it is `CursorExpired`, so the engine restarts the stream with a (bounded) full sync.
- `calendar`: events.list(primary, singleEvents) without a time window, then the stored syncToken;
  410 fullSyncRequired is `CursorExpired`.
Cursors are `GmailCursor` / `CalendarCursor` JSON; one that does not decode restarts the stream.

One `GoogleWorkspaceClient` per connection (its key, its worker threads, per-user credentials via
`subject=`), rebuilt when the connection is re-registered; every request is admitted by the
mailbox's gate, so the framework's per-mailbox limit and throttling pauses apply to Google too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from starlette.routing import BaseRoute

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.faults import (
    AccessRevoked,
    CursorExpired,
    ProviderRejected,
    SyncFault,
    Throttled,
    Unavailable,
)
from services.capture.domain.items import Change, ItemGone, ItemKind
from services.capture.ports import (
    MailboxRef,
    NotificationSink,
    Page,
    StoredSubscription,
    StreamPlan,
    SubscriptionGrant,
    SyncContext,
)
from services.capture.providers.google import sync
from services.capture.providers.google.client import GoogleApiError, GoogleApiSettings, GoogleWorkspaceClient
from services.capture.providers.google.cursors import CalendarCursor, CursorDecodeError, GmailCursor
from services.capture.providers.google.errors import ErrorClass
from services.capture.providers.google.gmail import parse_message
from services.capture.providers.google.items import MailItem, MailRemoval, MeetingRemoval, RemovalReason
from services.capture.providers.google.metrics import export_quota
from services.capture.providers.google.neutral import mail_change, meeting_changes
from services.capture.providers.google.quota import Api, QuotaTracker
from services.capture.providers.google.webhooks import CALENDAR_PATH, webhook_routes

GMAIL = "gmail"
CALENDAR = "calendar"
# users.watch lasts 7 days; Google recommends calling it daily. The watch is declared good for two
# days, so the engine (which renews at half-life) calls it again every day, with days to spare.
GMAIL_WATCH_DECLARED_LIFETIME = timedelta(days=2)
_log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class GoogleTuning:
    gmail_page_size: int = 100
    calendar_page_size: int = 250
    mail_backfill_days: int = 90  # 0: the whole mailbox
    public_base_url: str = ""  # where Calendar channels deliver (empty: no channels)
    pubsub_topic: str = ""  # where users.watch publishes (empty: no Gmail watch)
    pubsub_token: str | None = None


@dataclass
class _Client:
    version: str
    client: GoogleWorkspaceClient


class GoogleConnector:
    provider = activity_pb2.PROVIDER_GOOGLE

    def __init__(self, *, api: GoogleApiSettings, tuning: GoogleTuning | None = None) -> None:
        self._api = api
        self._tuning = tuning or GoogleTuning()
        self._public = self._tuning.public_base_url.rstrip("/")
        self.quota = QuotaTracker()  # per user, shared by every connection's client
        self._unexport = export_quota(self.quota)
        self._clients: dict[str, _Client] = {}
        self._closing: set[asyncio.Task[None]] = set()

    # --- clients ----------------------------------------------------------------------------------

    def _client(self, ctx: SyncContext) -> GoogleWorkspaceClient:
        connection = ctx.connection
        current = self._clients.get(connection.connection_id)
        if current is not None and current.version == connection.version:
            return current.client
        try:
            key = json.loads(connection.credential["key_json"])
            client = GoogleWorkspaceClient(key, self._api, quota=self.quota)
        except (KeyError, ValueError, TypeError) as exc:
            # Registration validated the key; this is a key google-auth still cannot use.
            unusable = f"the connection's service-account key is unusable: {type(exc).__name__}"
            raise ProviderRejected(unusable) from exc
        self._clients[connection.connection_id] = _Client(connection.version, client)
        if current is not None:  # re-registered: the old key's threads end in the background
            task = asyncio.get_running_loop().create_task(current.client.aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return client

    async def _google(self, ctx: SyncContext, call: Callable[[GoogleWorkspaceClient], Awaitable[T]]) -> T:
        """Run Google calls for the mailbox, their failures translated into the framework's faults."""
        client = self._client(ctx)
        try:
            return await call(client)
        except GoogleApiError as exc:
            raise self._fault(client, exc) from exc

    def _fault(self, client: GoogleWorkspaceClient, exc: GoogleApiError) -> SyncFault:
        failure = exc.failure
        message = str(exc)
        match failure.error_class:
            case ErrorClass.THROTTLED:
                api: Api = "gmail" if exc.operation.value.startswith("gmail.") else "calendar"
                # The client blocked the user (Google's hint, or exponential backoff); the mailbox
                # waits exactly that long, so the two never disagree.
                wait = max(failure.retry_after_sec or 0.0, client.quota.blocked_for(exc.user, api))
                return Throttled(message, retry_after_sec=wait or None)
            case ErrorClass.CURSOR_EXPIRED:
                return CursorExpired(message)
            case ErrorClass.UNAUTHORIZED:
                return AccessRevoked(message)
            case ErrorClass.TRANSIENT:
                return Unavailable(message, retry_after_sec=failure.retry_after_sec)
            case _:
                return ProviderRejected(message)

    # --- streams ----------------------------------------------------------------------------------

    def streams(self, mailbox: MailboxRef, now: datetime) -> Sequence[StreamPlan]:
        # Gmail never merges partial items (every change is read whole), so it keeps no snapshots;
        # Calendar needs them to publish a cancelled occurrence, of which Google sends only the id.
        return [StreamPlan(GMAIL, "metadata", snapshots=False), StreamPlan(CALENDAR, "primary;singleEvents")]

    async def read_page(self, ctx: SyncContext, stream: StreamPlan, cursor: str | None) -> Page:
        if stream.name == GMAIL:
            return await self._google(ctx, lambda client: self._gmail_page(ctx, client, cursor))
        return await self._google(ctx, lambda client: self._calendar_page(ctx, client, cursor))

    async def _gmail_page(self, ctx: SyncContext, client: GoogleWorkspaceClient, cursor: str | None) -> Page:
        position = _decode(GmailCursor.decode, cursor)
        user, slot = ctx.mailbox.address, ctx.gate.slot
        if position is None or position.in_full_sync:
            days = self._tuning.mail_backfill_days
            batch = await sync.gmail_full_page(
                client,
                user,
                position,
                page_size=self._tuning.gmail_page_size,
                not_before=ctx.now - timedelta(days=days) if days > 0 else None,
                slot=slot,
            )
        else:
            batch = await sync.gmail_history_page(
                client, user, position, page_size=self._tuning.gmail_page_size, slot=slot
            )
        ids = [c.message_id for c in batch.items]
        known = await ctx.known.get(ids)
        changes = [mail_change(c, observed_at=ctx.now, known=known.get(c.message_id)) for c in batch.items]
        return Page(changes, batch.cursor.encode(), batch.complete, rejected=batch.rejected)

    async def _calendar_page(
        self, ctx: SyncContext, client: GoogleWorkspaceClient, cursor: str | None
    ) -> Page:
        position = _decode(CalendarCursor.decode, cursor)
        batch = await sync.calendar_page(
            client,
            ctx.mailbox.address,
            position,
            page_size=self._tuning.calendar_page_size,
            slot=ctx.gate.slot,
        )
        removals = [c for c in batch.items if isinstance(c, MeetingRemoval)]
        known = await ctx.known.get([r.event_id for r in removals])
        changes: list[Change] = []
        for change in batch.items:
            series = None
            if isinstance(change, MeetingRemoval) and change.reason is RemovalReason.DELETED:
                series = await ctx.known.in_series(change.event_id)
            changes += meeting_changes(change, observed_at=ctx.now, known=known, series=series)
        return Page(changes, batch.cursor.encode(), batch.complete, rejected=batch.rejected)

    async def confirm(
        self, ctx: SyncContext, stream: StreamPlan, item_ids: Sequence[str]
    ) -> Sequence[Change]:
        if stream.name == CALENDAR:
            # The round listed the whole calendar without a time window: a published meeting that
            # was not in it is no longer on the calendar (deleted, or a cancelled occurrence).
            return [ItemGone(ItemKind.MEETING, i) for i in item_ids]
        ids = list(item_ids)

        async def look(client: GoogleWorkspaceClient) -> list[Change]:
            resources = await sync.gmail_messages(client, ctx.mailbox.address, ids, slot=ctx.gate.slot)
            known = await ctx.known.get(ids)
            out: list[Change] = []
            for item_id, resource in zip(ids, resources, strict=True):
                parsed = (
                    parse_message(resource)
                    if resource is not None
                    else MailRemoval(item_id, RemovalReason.DELETED, None)
                )
                if isinstance(parsed, MailItem | MailRemoval):
                    out.append(mail_change(parsed, observed_at=ctx.now, known=known.get(item_id)))
            return out

        return await self._google(ctx, look)

    # --- push -------------------------------------------------------------------------------------

    def subscription_resources(self, mailbox: MailboxRef) -> Sequence[str]:
        resources = []
        if self._tuning.pubsub_topic:
            resources.append(GMAIL)
        if self._public:
            resources.append(CALENDAR)
        return resources

    async def subscribe(
        self, ctx: SyncContext, resource: str, *, client_state: str, expires_at: datetime
    ) -> SubscriptionGrant:
        user, slot = ctx.mailbox.address, ctx.gate.slot
        if resource == GMAIL:

            async def watch(client: GoogleWorkspaceClient) -> SubscriptionGrant:
                granted = await sync.gmail_watch(client, user, topic=self._tuning.pubsub_topic, slot=slot)
                declared = min(granted.expires_at, expires_at, ctx.now + GMAIL_WATCH_DECLARED_LIFETIME)
                return SubscriptionGrant(f"gmail:{ctx.mailbox.mailbox_id}", declared)

            return await self._google(ctx, watch)

        ttl_sec = max(int((expires_at - ctx.now).total_seconds()), 60)

        async def channel(client: GoogleWorkspaceClient) -> SubscriptionGrant:
            opened = await sync.calendar_watch(
                client,
                user,
                channel_id=uuid.uuid4().hex,
                address=self._public + CALENDAR_PATH,
                token=client_state,
                ttl_sec=ttl_sec,
                slot=slot,
            )
            return SubscriptionGrant(opened.channel_id, opened.expires_at or expires_at, opened.resource_id)

        return await self._google(ctx, channel)

    async def renew(
        self, ctx: SyncContext, subscription: StoredSubscription, *, expires_at: datetime
    ) -> SubscriptionGrant:
        """Gmail: watch again (it replaces the watch). Calendar channels cannot be extended: open a
        new one with the same token, then stop the old one."""
        grant = await self.subscribe(
            ctx, subscription.resource, client_state=subscription.client_state, expires_at=expires_at
        )
        if subscription.resource == CALENDAR and grant.provider_id != subscription.provider_id:
            with contextlib.suppress(SyncFault):
                await self.unsubscribe(ctx, subscription)
        return grant

    async def reauthorize(self, ctx: SyncContext, subscription: StoredSubscription) -> None:
        return None  # Google has no reauthorization step for watches or channels

    async def unsubscribe(self, ctx: SyncContext, subscription: StoredSubscription) -> None:
        user, slot = ctx.mailbox.address, ctx.gate.slot
        if subscription.resource == GMAIL:
            await self._google(ctx, lambda client: sync.gmail_stop(client, user, slot=slot))
            return
        channel = sync.CalendarChannel(subscription.provider_id, subscription.provider_data, "", None)
        await self._google(ctx, lambda client: sync.calendar_stop(client, user, channel, slot=slot))

    def webhook_routes(self, sink: NotificationSink) -> Sequence[BaseRoute]:
        return webhook_routes(sink, pubsub_token=self._tuning.pubsub_token)

    async def close(self) -> None:
        self._unexport()
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(c.client.aclose() for c in clients), *self._closing, return_exceptions=True)


def _decode(decode: Callable[[str], T], cursor: str | None) -> T | None:
    if cursor is None:
        return None
    try:
        return decode(cursor)
    except CursorDecodeError as exc:
        raise CursorExpired(str(exc)) from exc
