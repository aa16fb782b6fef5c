"""The sync engine: one `MailboxWorker` per registered mailbox, kept in step with the store, plus the
`NotificationSink` the webhook handlers call.

Contract:
- `start()` loads the subscription index and starts a worker per mailbox whose provider has a
  connector; `refresh()` re-reads the mailboxes at once (called after admin changes), otherwise
  every `mailbox_refresh_sec`. A re-registered connection (new version) restarts its workers.
- `stop()` cancels every worker; an interrupted page is simply read again after a restart.
- The sink methods never block: they look up the subscription, check the client state in
  constant time, and wake the worker.
- As `SyncControl` (ports/sync_control.py) it serves the admin use cases: `reconcile`, `trigger`,
  `invalidate_policies`, `live_status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.privacy import CapturePolicy
from services.capture.domain.status import MailboxStatus
from services.capture.operations.sync.subscriptions import SubscriptionIndex
from services.capture.operations.sync.tuning import Lanes, Tuning
from services.capture.operations.sync.worker import MailboxWorker, WorkerDeps
from services.capture.ports import (
    ActivityPublisher,
    LifecycleEvent,
    MailboxMetricsFactory,
    MailboxRef,
    NotificationSink,
    ProviderConnector,
    SyncControl,
    SyncStore,
    SyncTarget,
)

_log = logging.getLogger(__name__)
_POLICY_TTL_SEC = 30.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class SyncEngine(NotificationSink, SyncControl):
    """The running engine of one capture process (contract in the module docstring)."""

    def __init__(
        self,
        *,
        store: SyncStore,
        connectors: Mapping[activity_pb2.Provider.ValueType, ProviderConnector],
        publisher: ActivityPublisher,
        tuning: Tuning,
        lanes: Lanes,
        metrics: MailboxMetricsFactory,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._clock = clock
        self._connectors = dict(connectors)
        self._tuning = tuning
        self.index = SubscriptionIndex()
        self._deps = WorkerDeps(
            store=store,
            publisher=publisher,
            lanes=lanes,
            tuning=tuning,
            index=self.index,
            policy=self.policy,
            metrics=metrics,
            clock=clock,
        )
        self._workers: dict[int, MailboxWorker] = {}
        self._policies: dict[tuple[str, str], tuple[float, CapturePolicy]] = {}
        self._refresh = asyncio.Event()
        self._refresher: asyncio.Task[None] | None = None
        self._reconcile_lock = asyncio.Lock()

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        for sub in await self._store.all_subscriptions():
            self.index.add(sub)
        await self.reconcile()
        self._refresher = asyncio.create_task(self._refresh_forever(), name="capture-refresh")

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await asyncio.gather(*(w.stop() for w in self._workers.values()))
        self._workers.clear()

    def refresh(self) -> None:
        self._refresh.set()

    async def _refresh_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._refresh.wait(), timeout=self._tuning.mailbox_refresh_sec)
            self._refresh.clear()
            try:
                await self.reconcile()
            except Exception:
                _log.exception("could not refresh the mailbox list; keeping the current workers")

    async def reconcile(self) -> None:
        async with self._reconcile_lock:
            targets = {t.mailbox.mailbox_id: t for t in await self._store.sync_targets()}
            for mailbox_id, worker in list(self._workers.items()):
                target = targets.get(mailbox_id)
                if target != worker.target:
                    await self._retire(worker, unsubscribe=target is None)
            for mailbox_id, target in targets.items():
                if mailbox_id not in self._workers:
                    self._launch(target)

    def _launch(self, target: SyncTarget) -> None:
        connector = self._connectors.get(target.mailbox.provider)
        if connector is None:
            _log.warning(
                "no connector for this provider in this build; mailbox not captured",
                extra={"mailbox": target.mailbox.address, "provider": target.mailbox.provider},
            )
            return
        worker = MailboxWorker(target, connector, self._deps)
        self._workers[target.mailbox.mailbox_id] = worker
        worker.start()

    async def _retire(self, worker: MailboxWorker, *, unsubscribe: bool) -> None:
        del self._workers[worker.mailbox.mailbox_id]
        await worker.stop()
        worker.counters.remove()
        if unsubscribe:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(worker.unsubscribe_all(), timeout=5)

    # --- queries and commands ---------------------------------------------------------------------

    def _judged(self, status: MailboxStatus) -> MailboxStatus:
        return status.judged(self._clock(), stale_after_sec=self._tuning.stale_after_sec)

    def statuses(self) -> Iterable[tuple[MailboxRef, MailboxStatus]]:
        """Every mailbox as an admin must see it now (`stale` when no pass succeeded for too long)."""
        return [(w.mailbox, self._judged(w.status)) for w in self._workers.values()]

    def worker(self, mailbox_id: int) -> MailboxWorker | None:
        return self._workers.get(mailbox_id)

    def live_status(self, mailbox_id: int) -> MailboxStatus | None:
        worker = self._workers.get(mailbox_id)
        return self._judged(worker.status) if worker is not None else None

    async def trigger(self, mailbox_ids: Sequence[int], *, full_resync: bool) -> None:
        for mailbox_id in mailbox_ids:
            if full_resync:
                await self._store.reset_cursors(mailbox_id)
            worker = self._workers.get(mailbox_id)
            if worker is not None:
                worker.wake()

    async def policy(self, tenant_id: str, rep_id: str) -> CapturePolicy:
        key = (tenant_id, rep_id)
        cached = self._policies.get(key)
        if cached is not None and time.monotonic() - cached[0] < _POLICY_TTL_SEC:
            return cached[1]
        policy = await self._store.policy(tenant_id, rep_id)
        self._policies[key] = (time.monotonic(), policy)
        return policy

    def invalidate_policies(self, tenant_id: str) -> None:
        for key in [k for k in self._policies if k[0] == tenant_id]:
            del self._policies[key]

    # --- NotificationSink ---------------------------------------------------------------------------

    def changed(self, subscription_id: str, client_state: str | None) -> bool:
        entry = self.index.find(subscription_id)
        if entry is None or not entry.matches(client_state):
            return False
        worker = self._workers.get(entry.mailbox_id)
        if worker is not None:
            worker.wake()
        return True

    def lifecycle(self, subscription_id: str, client_state: str | None, event: LifecycleEvent) -> bool:
        entry = self.index.find(subscription_id)
        if entry is None or not entry.matches(client_state):
            return False
        worker = self._workers.get(entry.mailbox_id)
        if worker is not None:
            worker.lifecycle(entry.resource, event)
        return True

    def mailbox_changed(self, provider: activity_pb2.Provider.ValueType, address: str) -> bool:
        wanted = address.strip().lower()
        found = False
        for worker in self._workers.values():
            if worker.mailbox.provider == provider and worker.mailbox.address == wanted:
                worker.wake()
                found = True
        return found
