"""One mailbox's loop: wait for a wake-up (notification, trigger, poll timer), run a pass over all its
streams concurrently, record the outcome, keep its push subscriptions.

Each mailbox runs in its own task with its own `MailboxGate`, so a throttled, revoked or broken
mailbox only ever waits on itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.capture.domain.faults import (
    AccessRevoked,
    ChainStalled,
    CredentialRevoked,
    CursorExpired,
    ProviderRejected,
    SyncFault,
    Throttled,
    Unavailable,
)
from services.capture.domain.items import KnownItem
from services.capture.domain.privacy import CapturePolicy
from services.capture.domain.reconcile import PagePlan
from services.capture.domain.status import FaultKind, MailboxStatus, SyncState
from services.capture.operations.sync.gate import MailboxGate
from services.capture.operations.sync.pass_env import PassEnv
from services.capture.operations.sync.stream import sync_stream
from services.capture.operations.sync.subscriptions import SubscriptionIndex, SubscriptionKeeper
from services.capture.operations.sync.tuning import Lanes, Tuning
from services.capture.ports import (
    ActivityPublisher,
    ConnectionInfo,
    LifecycleEvent,
    MailboxMetricsFactory,
    MailboxRef,
    ProviderConnector,
    PublishFailed,
    SecretsUnavailable,
    StoreUnavailable,
    SyncContext,
    SyncStore,
    SyncTarget,
)

_log = logging.getLogger(__name__)
_FAULT_KINDS: list[tuple[type[BaseException], FaultKind]] = [
    (CredentialRevoked, FaultKind.APP_REVOKED),
    (AccessRevoked, FaultKind.REVOKED),
    (ProviderRejected, FaultKind.REJECTED),
    (CursorExpired, FaultKind.CURSOR_EXPIRED),
    (ChainStalled, FaultKind.STALLED),
    (Throttled, FaultKind.THROTTLED),
    (Unavailable, FaultKind.UNAVAILABLE),
]


def classify(exc: BaseException) -> FaultKind:
    """The fault kind a failed stream reports to the admin and the error metrics. Pure."""
    for kind_type, kind in _FAULT_KINDS:
        if isinstance(exc, kind_type):
            return kind
    # Our own storage or broker restarting under a stream (outside page delivery, which already
    # wraps these) goes away by waiting: retry with backoff, never park the mailbox as rejected.
    if isinstance(exc, PublishFailed | StoreUnavailable):
        return FaultKind.UNAVAILABLE
    return FaultKind.REJECTED  # an unclassified exception is a bug: surface it, do not retry fast


@dataclass(frozen=True)
class WorkerDeps:
    """What every worker of one engine shares: its ports, lanes, knobs and the subscription index."""

    store: SyncStore
    publisher: ActivityPublisher
    lanes: Lanes
    tuning: Tuning
    index: SubscriptionIndex
    policy: Callable[[str, str], Awaitable[CapturePolicy]]
    metrics: MailboxMetricsFactory
    clock: Callable[[], datetime]
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


class MailboxWorker:
    """Runs one mailbox in its own task, from `start()` until `stop()` (which cancels it; an interrupted
    page is read again after a restart).

    `wake()` and `lifecycle()` never block: they only set an event the loop waits on. A failed pass
    never ends the loop: its fault goes to `status` (and the store), and the next pass is scheduled by
    the kind of fault. `status`, `gate`, `passes` and `peak_pages_in_flight` are read by the engine,
    the admin and tests.
    """

    def __init__(self, target: SyncTarget, connector: ProviderConnector, deps: WorkerDeps) -> None:
        self.target = target
        self.mailbox: MailboxRef = target.mailbox
        self.status = MailboxStatus()
        self.gate = MailboxGate(deps.tuning.max_requests_per_mailbox)
        self._connector = connector
        self._deps = deps
        self._wake = asyncio.Event()
        self._wake.set()  # the first pass starts at once
        self._connection: ConnectionInfo | None = None
        self._task: asyncio.Task[None] | None = None
        self._consecutive_failures = 0
        self._backfilling = False
        self.passes = 0
        # The most pages each stream's chain had in flight at once (read ahead, not yet committed).
        self.peak_pages_in_flight: dict[str, int] = {}
        self.counters = deps.metrics(self.mailbox)
        self.keeper = SubscriptionKeeper(
            mailbox_id=self.mailbox.mailbox_id,
            connector=connector,
            store=deps.store,
            index=deps.index,
            tuning=deps.tuning,
            wake=self.wake,
            backfilling=deps.lanes.backfilling,
            limiter=deps.lanes.subscriptions,
            metrics=self.counters,
        )

    # --- control ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"mailbox-{self.mailbox.mailbox_id}")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def wake(self) -> None:
        self._wake.set()

    def lifecycle(self, resource: str, event: LifecycleEvent) -> None:
        if event is not LifecycleEvent.MISSED:
            self.keeper.lifecycle(resource, event)
        self.wake()

    async def unsubscribe_all(self) -> None:
        ctx = self._context() if self._connection is not None else None
        await self.keeper.drop_all(ctx)

    # --- loop -------------------------------------------------------------------------------------

    async def _run(self) -> None:
        self.status = await self._deps.store.status(self.mailbox.mailbox_id)
        next_pass = time.monotonic()  # the first pass starts at once
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._timeout(next_pass))
            woken = self._wake.is_set()
            self._wake.clear()
            try:
                if woken or time.monotonic() >= next_pass:
                    await self._pass()
                    next_pass = time.monotonic() + self._pass_interval()
                if self.status.state is not SyncState.ERROR and self._connection is not None:
                    # Subscription upkeep only; due times wake the loop without a sync pass.
                    await self.keeper.maintain(self._context())
            except asyncio.CancelledError:
                raise
            except Exception:
                # Storage unreachable while recording the outcome: try again later, keep the loop.
                _log.exception(
                    "mailbox pass failed outside the streams", extra={"mailbox": self.mailbox.address}
                )
                self._consecutive_failures += 1
                next_pass = time.monotonic() + self._pass_interval()

    def _pass_interval(self) -> float:
        tuning = self._deps.tuning
        if self.status.state not in (SyncState.ERROR, SyncState.STALE):
            return tuning.poll_interval_sec * random.uniform(0.9, 1.1)
        if self.status.state is SyncState.STALE:
            # Cut and backed off: never followed at full speed, never parked for long either.
            wait = tuning.backoff.delay(self._consecutive_failures, jitter=random.random())
            return min(tuning.error_retry_sec, max(wait, 1.0))
        kind = self.status.last_error.split(":", 1)[0]
        if kind == FaultKind.UNAVAILABLE.value:
            wait = tuning.backoff.delay(self._consecutive_failures, jitter=random.random())
            return min(tuning.error_retry_sec, max(wait, 1.0))
        return tuning.error_retry_sec

    def _timeout(self, next_pass: float) -> float:
        timeout = max(next_pass - time.monotonic(), 0.0)
        if self.keeper.next_due is not None:
            until_due = (self.keeper.next_due - self._deps.clock()).total_seconds()
            timeout = min(timeout, max(until_due, 0.0))
        return timeout

    def _context(self) -> SyncContext:
        assert self._connection is not None
        return SyncContext(self.mailbox, self._connection, self.gate, _NoKnown(), self._deps.clock())

    async def _pass(self) -> None:
        deps = self._deps
        mailbox_id = self.mailbox.mailbox_id
        if self._connection is None:
            try:
                self._connection = await deps.store.connection(self.mailbox.connection_id)
            except SecretsUnavailable as exc:
                # The key that sealed this connection's credential is not configured: an admin must act.
                self._set_status(self.status.failed(FaultKind.REJECTED, str(exc), at=deps.clock()))
                await deps.store.save_status(mailbox_id, self.status)
                return
            if self._connection is None:
                return  # deleted meanwhile; the engine stops this worker
        started = deps.clock()
        plans = self._connector.streams(self.mailbox, started)
        cursors = await deps.store.cursors(mailbox_id)
        self._backfilling = any(c is None or c.full_round for c in (cursors.get(p.name) for p in plans))
        self._set_status(self.status.running(backfilling=self._backfilling))
        await deps.store.save_status(mailbox_id, self.status)
        env = PassEnv(
            mailbox=self.mailbox,
            connection=self._connection,
            connector=self._connector,
            store=deps.store,
            publisher=deps.publisher,
            gate=self.gate,
            lanes=deps.lanes,
            policy=await deps.policy(self.mailbox.tenant_id, self.mailbox.rep_id),
            tuning=deps.tuning,
            observer=self,
            clock=deps.clock,
            sleep=deps.sleep,
        )
        try:
            # A hanging provider is cut per request (the HTTP clients' timeouts) and per pass here.
            results: list[object] = await asyncio.wait_for(
                asyncio.gather(
                    *(sync_stream(env, p, cursors.get(p.name)) for p in plans), return_exceptions=True
                ),
                timeout=deps.tuning.pass_timeout_sec,
            )
        except TimeoutError:
            results = [ChainStalled(f"the pass took longer than {deps.tuning.pass_timeout_sec:g}s")]
        failures = [r for r in results if isinstance(r, BaseException)]
        self.passes += 1
        if not failures:
            self._consecutive_failures = 0
            self._set_status(self.status.succeeded(pass_started_at=started, finished_at=deps.clock()))
        else:
            self._consecutive_failures += 1
            worst = min(failures, key=lambda f: [k for _, k in _FAULT_KINDS].index(classify(f)))
            kind = classify(worst)
            if not isinstance(worst, SyncFault):
                _log.error(
                    "unexpected failure in a stream", exc_info=worst, extra={"mailbox": self.mailbox.address}
                )
            self.counters.failed(kind)
            self._set_status(self.status.failed(kind, str(worst) or type(worst).__name__, at=deps.clock()))
            _log.warning(
                "mailbox pass failed",
                extra={"mailbox": self.mailbox.address, "fault": kind.value, "error": str(worst)},
            )
        await deps.store.save_status(mailbox_id, self.status)

    def _set_status(self, status: MailboxStatus) -> None:
        self.status = status
        self.counters.observe(status)

    # --- StreamObserver ---------------------------------------------------------------------------

    def throttled(self, wait_sec: float) -> None:
        self._set_status(self.status.throttled())
        self.counters.throttled(wait_sec)

    def resynced(self, stream: str) -> None:
        self._set_status(self.status.resynced())
        self.counters.resynced(stream)
        _log.warning(
            "cursor expired; resyncing the stream", extra={"mailbox": self.mailbox.address, "stream": stream}
        )

    def pages_in_flight(self, stream: str, pages: int) -> None:
        self.peak_pages_in_flight[stream] = max(pages, self.peak_pages_in_flight.get(stream, 0))

    def page_done(self, stream: str, plan: PagePlan) -> None:
        if self.status.state is SyncState.THROTTLED:
            self._set_status(self.status.running(backfilling=self._backfilling))
        self._set_status(self.status.captured(len(plan.publish)))
        if plan.rejected:
            last = plan.rejected[-1].reason.value
            self._set_status(self.status.rejected(len(plan.rejected), last, at=self._deps.clock()))
            _log.warning(
                "items quarantined",
                extra={
                    "mailbox_id": self.mailbox.mailbox_id,
                    "stream": stream,
                    "count": len(plan.rejected),
                    "reasons": sorted({r.reason.value for r in plan.rejected}),
                },
            )
        self.counters.page(plan)


class _NoKnown:
    """Subscriptions never merge items."""

    async def get(self, item_ids: Collection[str]) -> Mapping[str, KnownItem]:
        return {}

    async def in_series(self, series_id: str) -> Mapping[str, KnownItem]:
        return {}
