"""Relays what is committed in the store to the topics: the write-back feed to gt.activity.matched.v1
and changed scores (and erasure tombstones) to gt.scores.v1.

The store is the source of truth; the topics follow it. A relay publishes, waits for the broker, and
only then records its progress, so a crash republishes (consumers dedupe on event_id / the
compacted key) and never skips.
"""

from __future__ import annotations

import asyncio
import logging
import time

from services.scoring.ports import RelayPublisher, RelayStore
from services.scoring.ports.metrics import NoMetrics, ScoringMetrics

_log = logging.getLogger(__name__)


class Relays:
    """Runs both relays until `stop`; `nudge()` wakes them right after a commit.

    `publish_once` publishes one page of each kind and raises if the broker or the store fails
    (nothing is marked published then); `run` retries after `interval_sec` and returns on `stop`.
    """

    def __init__(
        self,
        store: RelayStore,
        publisher: RelayPublisher,
        *,
        batch_size: int,
        interval_sec: float,
        metrics: ScoringMetrics | None = None,
    ) -> None:
        self._metrics = metrics or NoMetrics()
        self._store = store
        self._publisher = publisher
        self._batch_size = batch_size
        self._interval = interval_sec
        self._wake = asyncio.Event()
        self._last_nudge = 0.0

    def nudge(self) -> None:
        """Something was committed: publish it soon. Never blocks."""
        self._wake.set()
        self._last_nudge = time.monotonic()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.publish_once()
            except Exception as exc:  # the broker or database is away: try again later
                _log.warning("relay failed, retrying", extra={"error": repr(exc)})
                busy = 0
            ingesting = time.monotonic() - self._last_nudge < self._interval
            if busy and not ingesting:
                continue
            # While batches keep committing, one page per interval: the topics lag a little (the feed
            # itself is served from the store at once) and ingest keeps the CPU.
            self._wake.clear()
            waiters = [asyncio.ensure_future(stop.wait())]
            if not ingesting:
                waiters.append(asyncio.ensure_future(self._wake.wait()))
            await asyncio.wait(waiters, timeout=self._interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def publish_once(self) -> int:
        """Publish one page of each kind; returns how many records went out."""
        return await self._tombstones() + await self._scores() + await self._feed()

    async def _tombstones(self) -> int:
        queued = await self._store.queued_tombstones(self._batch_size)
        if not queued:
            return 0
        await self._publisher.publish_tombstones([(t.tenant_id, t.rep_id) for t in queued])
        await self._store.forget_tombstones(queued)
        self._metrics.relayed("scores", len(queued))
        return len(queued)

    async def _scores(self) -> int:
        changed = await self._store.unpublished_scores(self._batch_size)
        if not changed:
            return 0
        await self._publisher.publish_scores([(s.tenant_id, s.rep_id, s.payload) for s in changed])
        await self._store.mark_published(changed)
        self._metrics.relayed("scores", len(changed))
        return len(changed)

    async def _feed(self) -> int:
        sent = 0
        for tenant, published_through in await self._store.feeds_behind():
            entries = await self._store.feed_page(tenant, after=published_through, limit=self._batch_size)
            if not entries:
                continue
            await self._publisher.publish_matched([(e.tenant_id, e.rep_id, e.value) for e in entries])
            await self._store.feed_published_through(tenant, entries[-1].feed_sequence)
            sent += len(entries)
        self._metrics.relayed("matched", sent)
        return sent
