"""Push subscriptions of one mailbox: create, renew at half-life, react to lifecycle events.

Subscriptions only make capture faster; polling stays the safety net, so a failure here is logged,
counted and retried on the next pass, never a mailbox error.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.capture.domain.faults import SyncFault
from services.capture.operations.sync.tuning import Tuning
from services.capture.ports import (
    LifecycleEvent,
    MailboxMetrics,
    MailboxPaused,
    ProviderConnector,
    StoredSubscription,
    SubscriptionGone,
    SyncContext,
    SyncStore,
)

_log = logging.getLogger(__name__)
_POSTPONE = timedelta(seconds=5)
_MAX_RETRY = timedelta(minutes=5)


@dataclass(frozen=True)
class IndexEntry:
    mailbox_id: int
    resource: str
    client_state: str

    def matches(self, client_state: str | None) -> bool:
        return hmac.compare_digest((client_state or "").encode(), self.client_state.encode())


class SubscriptionIndex:
    """Provider subscription id → mailbox, for the webhook handlers (in memory, loaded at start)."""

    def __init__(self) -> None:
        self._by_id: dict[str, IndexEntry] = {}

    def add(self, sub: StoredSubscription) -> None:
        self._by_id[sub.provider_id] = IndexEntry(sub.mailbox_id, sub.resource, sub.client_state)

    def remove(self, provider_id: str) -> None:
        self._by_id.pop(provider_id, None)

    def find(self, provider_id: str) -> IndexEntry | None:
        return self._by_id.get(provider_id)


class SubscriptionKeeper:
    """One mailbox's push subscriptions, kept by its worker between passes.

    `maintain()` creates what is missing, renews at half-life and handles lifecycle events; a provider
    failure is counted and retried later (`next_due`), never raised. It may block on the provider and
    on the process-wide subscription limiter; it raises only what the store raises. `lifecycle()`
    only records the event for the next `maintain()`.
    """

    def __init__(
        self,
        *,
        mailbox_id: int,
        connector: ProviderConnector,
        store: SyncStore,
        index: SubscriptionIndex,
        tuning: Tuning,
        wake: Callable[[], None],
        backfilling: Callable[[], bool] = lambda: False,
        limiter: asyncio.Semaphore | None = None,
        metrics: MailboxMetrics,
    ) -> None:
        self._mailbox_id = mailbox_id
        self._connector = connector
        self._store = store
        self._index = index
        self._tuning = tuning
        self._wake = wake
        self._backfilling = backfilling
        # Process-wide: a thousand mailboxes finishing their backfill together must not open a
        # thousand subscription requests (each one makes the provider call our webhook back).
        self._limiter = limiter or asyncio.Semaphore(8)
        self._metrics = metrics
        self._failures = 0
        self._current: dict[str, StoredSubscription] | None = None
        self._events: dict[str, LifecycleEvent] = {}
        self._postponed = False
        self.next_due: datetime | None = None

    def lifecycle(self, resource: str, event: LifecycleEvent) -> None:
        self._events[resource] = event

    async def maintain(self, ctx: SyncContext) -> None:
        if not self._tuning.push_enabled:
            return
        self._postponed = False
        if self._current is None:
            self._current = {s.resource: s for s in await self._store.subscriptions(self._mailbox_id)}
        failed = False
        for resource in self._connector.subscription_resources(ctx.mailbox):
            try:
                await self._keep(ctx, resource)
            except (SyncFault, MailboxPaused, SubscriptionGone) as exc:
                failed = True
                self._metrics.subscription_changed("failed")
                _log.warning(
                    "subscription upkeep failed; polling continues",
                    extra={"mailbox_id": self._mailbox_id, "resource": resource, "error": str(exc)},
                )
        self._failures = self._failures + 1 if failed else 0
        due = [s.renew_at for s in self._current.values()]
        if self._postponed:
            due.append(ctx.now + _POSTPONE)
        if failed:
            due.append(ctx.now + min(_POSTPONE * 2**self._failures, _MAX_RETRY))
        self.next_due = min(due) if due else None

    async def _keep(self, ctx: SyncContext, resource: str) -> None:
        assert self._current is not None
        now = ctx.now
        sub = self._current.get(resource)
        event = self._events.pop(resource, None)
        if sub is None and self._backfilling():
            # Onboarding many mailboxes: backfill first; polling covers the meantime.
            self._postponed = True
            return
        if sub is None or event is LifecycleEvent.SUBSCRIPTION_REMOVED or sub.expires_at <= now:
            async with self._limiter:
                await self._create(ctx, resource, replacing=sub)  # wakes the mailbox for a catch-up delta
            return
        if event is None and now < sub.renew_at:
            return
        try:
            async with self._limiter:
                await self._refresh(ctx, sub, event)
        except SubscriptionGone:
            async with self._limiter:
                await self._create(ctx, resource, replacing=sub)

    async def _refresh(self, ctx: SyncContext, sub: StoredSubscription, event: LifecycleEvent | None) -> None:
        """Reauthorize and/or renew; raises `SubscriptionGone` when the provider lost it."""
        now = ctx.now
        if event is LifecycleEvent.REAUTHORIZATION_REQUIRED:
            await self._connector.reauthorize(ctx, sub)
            self._metrics.subscription_changed("reauthorized")
        if now >= sub.renew_at:
            grant = await self._connector.renew(ctx, sub, expires_at=now + self._tuning.subscription_lifetime)
            renewed = StoredSubscription(
                self._mailbox_id,
                sub.resource,
                grant.provider_id,
                sub.client_state,
                now,
                grant.expires_at,
                grant.provider_data,
            )
            await self._save(renewed, replacing=sub)
            self._metrics.subscription_changed("renewed")

    async def _create(self, ctx: SyncContext, resource: str, *, replacing: StoredSubscription | None) -> None:
        client_state = secrets.token_urlsafe(32)
        grant = await self._connector.subscribe(
            ctx, resource, client_state=client_state, expires_at=ctx.now + self._tuning.subscription_lifetime
        )
        await self._save(
            StoredSubscription(
                self._mailbox_id,
                resource,
                grant.provider_id,
                client_state,
                ctx.now,
                grant.expires_at,
                grant.provider_data,
            ),
            replacing=replacing,
        )
        self._metrics.subscription_changed("created")
        # A change notified between the provider creating the subscription and us indexing it was
        # dropped as unknown; one delta now catches whatever that was.
        self._wake()

    async def _save(self, sub: StoredSubscription, *, replacing: StoredSubscription | None) -> None:
        assert self._current is not None
        await self._store.save_subscription(sub)
        if replacing is not None and replacing.provider_id != sub.provider_id:
            self._index.remove(replacing.provider_id)
        self._index.add(sub)
        self._current[sub.resource] = sub

    async def drop_all(self, ctx: SyncContext | None) -> None:
        """Forget (and, given a context, delete at the provider) every subscription of the mailbox."""
        subs = list((self._current or {}).values()) or await self._store.subscriptions(self._mailbox_id)
        for sub in subs:
            self._index.remove(sub.provider_id)
            if ctx is not None:
                try:
                    await self._connector.unsubscribe(ctx, sub)
                except (SyncFault, MailboxPaused, SubscriptionGone) as exc:
                    _log.info("unsubscribe failed; it will expire", extra={"error": str(exc)})
        self._current = {}
