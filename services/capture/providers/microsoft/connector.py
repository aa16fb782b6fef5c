"""`ProviderConnector` for Microsoft 365 (PROVIDERS.md §1-§3).

Streams per mailbox: `mail:inbox`, `mail:sentitems` (message delta per folder) and `calendar`
(calendarView delta over the rolling window; the window is the stream's scope). Links are followed
verbatim; only first requests are built here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.routing import BaseRoute

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.faults import Unavailable
from services.capture.domain.items import (
    Change,
    Direction,
    EmailItem,
    ItemGone,
    ItemKind,
    ItemSeen,
    KnownItem,
    MeetingItem,
)
from services.capture.domain.quarantine import UNREADABLE, Rejected, RejectReason, reason_of, safe_id
from services.capture.domain.window import Window, calendar_window
from services.capture.ports import (
    MailboxRef,
    NotificationSink,
    Page,
    StoredSubscription,
    StreamPlan,
    SubscriptionGone,
    SubscriptionGrant,
    SyncContext,
)
from services.capture.providers.microsoft.auth import MsalTokens
from services.capture.providers.microsoft.graph import GraphClient, JsonObject
from services.capture.providers.microsoft.parse import MESSAGE_SELECT, parse_event, parse_message
from services.capture.providers.microsoft.webhooks import LIFECYCLE_PATH, NOTIFICATION_PATH, webhook_routes

CALENDAR = "calendar"
MAIL_STREAMS = {"mail:inbox": ("inbox", Direction.RECEIVED), "mail:sentitems": ("sentitems", Direction.SENT)}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MicrosoftConnector:
    provider = activity_pb2.PROVIDER_MICROSOFT

    def __init__(
        self,
        *,
        tokens: MsalTokens,
        graph: GraphClient,
        page_size: int = 100,
        days_back: int = 30,
        days_ahead: int = 90,
        window_step_days: int = 7,
        public_base_url: str = "",
    ) -> None:
        self._tokens = tokens
        self._graph = graph
        self._prefer = f'odata.maxpagesize={page_size}, IdType="ImmutableId", outlook.timezone="UTC"'
        self._days_back = days_back
        self._days_ahead = days_ahead
        self._step = window_step_days
        self._public = public_base_url.rstrip("/")

    # --- streams ----------------------------------------------------------------------------------

    def streams(self, mailbox: MailboxRef, now: datetime) -> Sequence[StreamPlan]:
        window = calendar_window(
            now, days_back=self._days_back, days_ahead=self._days_ahead, step_days=self._step
        )
        return [StreamPlan("mail:inbox"), StreamPlan("mail:sentitems"), StreamPlan(CALENDAR, window.scope)]

    def _user(self, mailbox: MailboxRef) -> str:
        return f"{self._graph.base_url}/users/{quote(mailbox.address, safe='@.')}"

    def _first_url(self, mailbox: MailboxRef, stream: StreamPlan) -> str:
        if stream.name == CALENDAR:
            window = Window.from_scope(stream.scope)
            return (
                f"{self._user(mailbox)}/calendarView/delta"
                f"?startDateTime={_iso(window.start)}&endDateTime={_iso(window.end)}"
            )
        folder, _ = MAIL_STREAMS[stream.name]
        return f"{self._user(mailbox)}/mailFolders('{folder}')/messages/delta?$select={MESSAGE_SELECT}"

    async def read_page(self, ctx: SyncContext, stream: StreamPlan, cursor: str | None) -> Page:
        body = await self._graph.call(
            ctx, "GET", cursor or self._first_url(ctx.mailbox, stream), prefer=self._prefer
        )
        assert body is not None
        next_link, delta_link = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
        if not isinstance(next_link, str) and not isinstance(delta_link, str):
            raise Unavailable("Graph page without @odata.nextLink or @odata.deltaLink")
        raw_values = body.get("value")
        if raw_values is None:
            raw_values = []
        if not isinstance(raw_values, list):
            raise Unavailable("Graph page whose value is not a list")
        rejected: list[Rejected] = []
        values: list[JsonObject] = []
        for raw in raw_values:
            item_id = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(item_id, str) or not item_id:
                reason = RejectReason.WRONG_TYPE if not isinstance(raw, dict) else RejectReason.MISSING_ID
                rejected.append(Rejected(safe_id(item_id), reason))
            else:
                values.append(raw)
        known = await ctx.known.get([str(v["id"]) for v in values])
        slots: list[Change | Rejected | None] = []
        to_fetch: dict[int, str] = {}
        removed: dict[int, str] = {}
        for raw in values:
            item_id = str(raw["id"])
            if "@removed" in raw:
                if item_id in known:  # never published: nothing to retract, nothing to ask
                    removed[len(slots)] = item_id
                slots.append(None)
                continue
            try:
                item = self._parse(stream, raw, known.get(item_id))
            except UNREADABLE as exc:
                slots.append(Rejected(safe_id(item_id), reason_of(exc)))
                continue
            if item is None:
                to_fetch[len(slots)] = item_id
                slots.append(None)
            else:
                slots.append(ItemSeen(item))
        # Partial updates of items we never saw whole, and removals to confirm (an event that left
        # the window, or a message moved to another folder, is not a deletion).
        lookups = {**to_fetch, **removed}
        if lookups:
            results = await asyncio.gather(*(self._lookup(ctx, stream, i) for i in lookups.values()))
            for index, change in zip(lookups, results, strict=True):
                slots[index] = change
        changes = [c for c in slots if c is not None and not isinstance(c, Rejected)]
        rejected += [c for c in slots if isinstance(c, Rejected)]
        if isinstance(next_link, str):
            return Page(changes, next_link, complete=False, rejected=rejected)
        assert isinstance(delta_link, str)
        return Page(changes, delta_link, complete=True, rejected=rejected)

    def _parse(
        self, stream: StreamPlan, raw: JsonObject, known: KnownItem | None
    ) -> EmailItem | MeetingItem | None:
        previous = known.snapshot if known else None
        if stream.name == CALENDAR:
            return parse_event(raw, previous=previous if isinstance(previous, MeetingItem) else None)
        _, direction = MAIL_STREAMS[stream.name]
        return parse_message(
            raw, direction=direction, previous=previous if isinstance(previous, EmailItem) else None
        )

    async def _lookup(self, ctx: SyncContext, stream: StreamPlan, item_id: str) -> Change | Rejected | None:
        """The item as Graph holds it now: seen (whole), gone (404), rejected (unreadable even whole),
        or None when it exists but no longer belongs to this stream (a message moved elsewhere)."""
        if stream.name == CALENDAR:
            url = f"{self._user(ctx.mailbox)}/events/{quote(item_id, safe='')}"
            raw = await self._graph.call(ctx, "GET", url, prefer=self._prefer, missing_ok=True)
            if raw is None:
                return ItemGone(ItemKind.MEETING, item_id)
            try:
                item = parse_event(raw, previous=None, whole=True)
            except UNREADABLE as exc:
                return Rejected(safe_id(item_id), reason_of(exc))
            return ItemSeen(item) if item is not None else None
        folder, direction = MAIL_STREAMS[stream.name]
        url = f"{self._user(ctx.mailbox)}/messages/{quote(item_id, safe='')}?$select={MESSAGE_SELECT}"
        raw = await self._graph.call(ctx, "GET", url, prefer=self._prefer, missing_ok=True)
        if raw is None:
            return ItemGone(ItemKind.EMAIL, item_id)
        if str(raw.get("parentFolderId", "")).lower() not in {"", folder, f"folder-{folder}"}:
            return None
        try:
            message = parse_message(raw, direction=direction, previous=None, whole=True)
        except UNREADABLE as exc:
            return Rejected(safe_id(item_id), reason_of(exc))
        return ItemSeen(message) if message is not None else None

    async def confirm(
        self, ctx: SyncContext, stream: StreamPlan, item_ids: Sequence[str]
    ) -> Sequence[Change]:
        ids = list(item_ids)
        if stream.name == CALENDAR:
            # Meetings that ended before the window starts will never change again: stop tracking
            # them without asking Graph about each one.
            window = Window.from_scope(stream.scope)
            known = await ctx.known.get(ids)
            ids = [i for i in ids if i not in known or not _ended_before(known[i], window.start)]
        results = await asyncio.gather(*(self._lookup(ctx, stream, i) for i in ids))
        # An item unreadable now is left as published (not mentioned: capture stops tracking it).
        return [c for c in results if c is not None and not isinstance(c, Rejected)]

    # --- push -------------------------------------------------------------------------------------

    def subscription_resources(self, mailbox: MailboxRef) -> Sequence[str]:
        if not self._public:
            return []
        user = mailbox.address
        return [f"/users/{user}/messages", f"/users/{user}/events"]

    async def subscribe(
        self, ctx: SyncContext, resource: str, *, client_state: str, expires_at: datetime
    ) -> SubscriptionGrant:
        body = {
            "changeType": "created,updated,deleted",
            "notificationUrl": self._public + NOTIFICATION_PATH,
            "lifecycleNotificationUrl": self._public + LIFECYCLE_PATH,
            "resource": resource,
            "expirationDateTime": expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
            "clientState": client_state,
        }
        created = await self._graph.call(ctx, "POST", f"{self._graph.base_url}/subscriptions", body=body)
        return _grant(created)

    async def renew(
        self, ctx: SyncContext, subscription: StoredSubscription, *, expires_at: datetime
    ) -> SubscriptionGrant:
        url = f"{self._graph.base_url}/subscriptions/{quote(subscription.provider_id, safe='')}"
        body = {"expirationDateTime": expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")}
        renewed = await self._graph.call(ctx, "PATCH", url, body=body, missing_ok=True)
        if renewed is None:
            raise SubscriptionGone(subscription.provider_id)
        return _grant(renewed)

    async def reauthorize(self, ctx: SyncContext, subscription: StoredSubscription) -> None:
        url = f"{self._graph.base_url}/subscriptions/{quote(subscription.provider_id, safe='')}/reauthorize"
        if await self._graph.call(ctx, "POST", url, missing_ok=True) is None:
            raise SubscriptionGone(subscription.provider_id)

    async def unsubscribe(self, ctx: SyncContext, subscription: StoredSubscription) -> None:
        url = f"{self._graph.base_url}/subscriptions/{quote(subscription.provider_id, safe='')}"
        await self._graph.call(ctx, "DELETE", url, missing_ok=True)

    def webhook_routes(self, sink: NotificationSink) -> Sequence[BaseRoute]:
        return webhook_routes(sink)

    async def close(self) -> None:
        await self._graph.close()
        await asyncio.to_thread(self._tokens.close)


def _ended_before(known: KnownItem, start: datetime) -> bool:
    snapshot = known.snapshot
    return isinstance(snapshot, MeetingItem) and snapshot.end <= start


def _grant(body: dict[str, Any] | None) -> SubscriptionGrant:
    if not body or not body.get("id") or not body.get("expirationDateTime"):
        raise Unavailable("Graph returned a subscription without id or expirationDateTime")
    expires = datetime.fromisoformat(str(body["expirationDateTime"]).replace("Z", "+00:00"))
    return SubscriptionGrant(
        provider_id=str(body["id"]), expires_at=expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    )
