"""Relays what is committed in the store to the topics: the write-back feed to gt.activity.matched.v1
and changed scores (and erasure tombstones) to gt.scores.v1.

The store is the source of truth; the topics follow it. A relay publishes, waits for the broker, and
only then records its progress, so a crash republishes (consumers dedupe on event_id / the
compacted key) and never skips.
"""

from __future__ import annotations

import asyncio
import logging

from services.scoring.ports import RelayPublisher, RelayStore
from services.scoring.ports.metrics import NoMetrics, ScoringMetrics

_log = logging.getLogger(__name__)


class Relays:
    """Runs both relays until `stop`; `nudge()` wakes them right after a commit of this process.

    One process of a deployment publishes at a time: the one holding the store's lease (`lead`); the
    others try again each `interval_sec`, so a publisher that dies is replaced within one interval.
    The publisher pages through the outbox without pausing while anything is behind, whatever
    ingest is doing, so it falls behind ingest by at most a page or two (`relay_lag` reports the
    feed positions not yet on the topic after each pass). It shares nothing with ingest but the
    event loop: its own database connection, its own pace.

    `publish_once` publishes one page of each kind and raises if the broker or the store fails
    (nothing is marked published then; the lease is given up, so another process may take over);
    `run` retries after `interval_sec` and returns on `stop`.
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
        # One pass at a time: the loop and an erasure's immediate publish share one connection.
        self._turn = asyncio.Lock()

    def nudge(self) -> None:
        """Something was committed: publish it soon. Never blocks."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.publish_once()
            except Exception as exc:  # the broker or database is away: try again later
                _log.warning("relay failed, retrying", extra={"error": repr(exc)})
                busy = 0
            if busy:
                continue  # more may be waiting: the next page at once
            self._wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=self._interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def close(self) -> None:
        """Give the lease up (at shutdown), so another process takes over at once."""
        async with self._turn:
            await self._store.step_down()

    async def publish_once(self) -> int:
        """Publish one page of each kind when this process holds the lease; how many records went out."""
        async with self._turn:
            try:
                leading = await self._store.lead()
                self._metrics.relay_leader(leading)
                if not leading:
                    return 0
                return await self._tombstones() + await self._scores() + await self._feed()
            except Exception:
                await self._store.step_down()
                self._metrics.relay_leader(False)
                raise

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
        sent = lag = 0
        for feed in await self._store.feeds_behind():
            page = await self._store.feed_page(
                feed.tenant_id, after=feed.published_through, limit=self._batch_size
            )
            through = feed.published_through
            if page is not None:
                await self._publisher.publish_matched(page.records)
                through = page.through
                await self._store.feed_published_through(feed.tenant_id, through)
                sent += len(page.records)
            lag += feed.last_sequence - through
        self._metrics.relayed("matched", sent)
        self._metrics.relay_lag("matched", lag)
        return sent
