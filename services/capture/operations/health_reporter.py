"""Publishes each mailbox's health on gt.capture.health.v1: at once when its state or reason changes,
and every `heartbeat_sec` for every mailbox, so a reader can tell "capture stopped reporting" (no
fresh record) from "healthy". A removed mailbox gets a tombstone.

The reporter reads the engine's live statuses (as an admin sees them, `stale` included) every
`check_sec`; it never slows a worker down. What it last published is stored, so a restart keeps
each mailbox's `since`. A failed publication or store write is retried on the next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.health import Published, health_of, mailbox_key, next_published
from services.capture.domain.status import MailboxStatus
from services.capture.ports import MailboxRef, PublishFailed, StoreUnavailable
from services.capture.ports.health import HealthPublisher, HealthReport, HealthStore

_log = logging.getLogger(__name__)

Statuses = Callable[[], Iterable[tuple[MailboxRef, MailboxStatus]]]


def provider_name(provider: activity_pb2.Provider.ValueType) -> str:
    return activity_pb2.Provider.Name(provider).removeprefix("PROVIDER_").lower()


class HealthReporter:
    """Contract in the module docstring. `check()` is one round (tests drive it directly)."""

    def __init__(
        self,
        *,
        statuses: Statuses,
        publisher: HealthPublisher,
        store: HealthStore,
        clock: Callable[[], datetime],
        stale_after_polls: float,
        heartbeat_sec: float,
        check_sec: float = 1.0,
    ) -> None:
        self._statuses = statuses
        self._publisher = publisher
        self._store = store
        self._clock = clock
        self._stale_after_polls = stale_after_polls
        self._heartbeat_sec = heartbeat_sec
        self._check_sec = check_sec
        self._known: dict[tuple[str, str], Published] | None = None
        # Each mailbox's key, hashed once (the check runs every second over every mailbox).
        self._keys: dict[int, tuple[MailboxRef, str]] = {}
        self._last_heartbeat: datetime | None = None

    async def check(self) -> int:
        """Publish what changed (all of it when a heartbeat is due); returns how many records went out."""
        now = self._clock()
        if self._known is None:
            self._known = {(p.tenant_id, p.mailbox_key): p for p in await self._store.published()}
        known = self._known
        heartbeat = (
            self._last_heartbeat is None
            or (now - self._last_heartbeat).total_seconds() >= self._heartbeat_sec
        )
        reports: list[HealthReport] = []
        changed: list[Published] = []
        present: set[tuple[str, str]] = set()
        statuses = list(self._statuses())
        for mailbox, status in statuses:
            key = self._key(mailbox)
            present.add((mailbox.tenant_id, key))
            previous = known.get((mailbox.tenant_id, key))
            if previous is not None and status == MailboxStatus():
                # A worker that has not read its stored status yet: nothing new to say.
                current = previous
            else:
                health = health_of(status, stale_after_polls=self._stale_after_polls)
                current = Published(mailbox.tenant_id, key, mailbox.rep_id, health, now)
            update = next_published(previous, current)
            if update is not None:
                changed.append(update)
            if update is not None or heartbeat:
                reports.append(
                    HealthReport(
                        update or previous or current,
                        provider_name(mailbox.provider),
                        status.last_success_at,
                        status.items_rejected,
                        now,
                    )
                )
        removed = [k for k in known if k not in present]
        running = {mailbox.mailbox_id for mailbox, _ in statuses}
        for gone in [m for m in self._keys if m not in running]:
            del self._keys[gone]
        try:
            await self._publisher.publish(reports)
            for published in changed:
                await self._store.save(published)
                known[(published.tenant_id, published.mailbox_key)] = published
            for tenant, key in removed:
                await self._publisher.forget(tenant, key)
                await self._store.delete(tenant, key)
                del known[(tenant, key)]
        except (PublishFailed, StoreUnavailable) as exc:
            _log.warning("capture health not published; retrying", extra={"error": repr(exc)})
            return 0
        if heartbeat:
            self._last_heartbeat = now
        return len(reports) + len(removed)

    def _key(self, mailbox: MailboxRef) -> str:
        cached = self._keys.get(mailbox.mailbox_id)
        if cached is None or cached[0] != mailbox:
            key = mailbox_key(mailbox.tenant_id, provider_name(mailbox.provider), mailbox.address)
            cached = self._keys[mailbox.mailbox_id] = (mailbox, key)
        return cached[1]

    async def run(self, stop: asyncio.Event) -> None:
        """Check every `check_sec` until `stop`."""
        while not stop.is_set():
            try:
                await self.check()
            except Exception:
                _log.exception("capture health check failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._check_sec)
