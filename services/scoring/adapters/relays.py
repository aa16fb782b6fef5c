"""Relays what is committed in PostgreSQL to Kafka: the write-back feed to gt.activity.matched.v1 and
changed scores (and erasure tombstones) to gt.scores.v1.

PostgreSQL is the source of truth; the topics follow it. A relay publishes, waits for the broker,
and only then records its progress, so a crash republishes (consumers dedupe on event_id / the
compacted key) and never skips.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Pool
from plumbing.kafka.records import protobuf_headers, record_key
from services.scoring.adapters.kafka_batches import publish_keyed
from services.scoring.adapters.pg_feed import matched_activity_bytes

_log = logging.getLogger(__name__)
RELAYED = Counter("gt_scoring_relayed_total", "Records relayed to Kafka", ["topic"])
_SCORE_HEADERS = protobuf_headers(scoring_pb2.RepScore())
_MATCHED_HEADERS = protobuf_headers(scoring_pb2.MatchedActivity())

FEED_BEHIND = """
SELECT p.tenant_id, coalesce(r.published_through, 0) AS published_through
FROM feed_positions p LEFT JOIN feed_relay_positions r USING (tenant_id)
WHERE p.last_sequence > coalesce(r.published_through, 0)
ORDER BY p.tenant_id
"""
FEED_PAGE = """
SELECT id, tenant_id, rep_id, occurred_at, stored_at, payload, match_links, feed_sequence FROM activities
WHERE tenant_id = $1 AND feed_sequence > $2 ORDER BY feed_sequence LIMIT $3
"""


class Relays:
    """Runs both relays until `stop`; `nudge()` wakes them right after a commit."""

    def __init__(
        self,
        pool: Pool,
        producer: AIOKafkaProducer,
        *,
        matched_topic: str,
        scores_topic: str,
        batch_size: int,
        interval_sec: float,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._matched_topic = matched_topic
        self._scores_topic = scores_topic
        self._batch_size = batch_size
        self._interval = interval_sec
        self._wake = asyncio.Event()
        self._last_nudge = 0.0

    def nudge(self) -> None:
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
            # itself is served from PostgreSQL at once) and ingest keeps the CPU.
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
        rows = await self._pool.fetch(
            "SELECT tenant_id, rep_id, queued_at FROM score_tombstones ORDER BY queued_at LIMIT $1",
            self._batch_size,
        )
        if not rows:
            return 0
        await publish_keyed(
            self._producer,
            self._scores_topic,
            [(record_key(r["tenant_id"], r["rep_id"]), None) for r in rows],
        )
        await self._pool.execute(
            "DELETE FROM score_tombstones t "
            "USING unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(t, r, q) "
            "WHERE t.tenant_id = k.t AND t.rep_id = k.r AND t.queued_at = k.q",
            [r["tenant_id"] for r in rows],
            [r["rep_id"] for r in rows],
            [r["queued_at"] for r in rows],
        )
        RELAYED.labels("scores").inc(len(rows))
        return len(rows)

    async def _scores(self) -> int:
        rows = await self._pool.fetch(
            "SELECT tenant_id, rep_id, payload, content_hash FROM rep_scores "
            "WHERE published_hash IS DISTINCT FROM content_hash LIMIT $1",
            self._batch_size,
        )
        if not rows:
            return 0
        await publish_keyed(
            self._producer,
            self._scores_topic,
            [(record_key(r["tenant_id"], r["rep_id"]), bytes(r["payload"])) for r in rows],
            _SCORE_HEADERS,
        )
        # Only the version that was published is marked: a score changed meanwhile goes out next time.
        await self._pool.execute(
            "UPDATE rep_scores s SET published_hash = k.h FROM unnest($1::text[], $2::text[], $3::bytea[]) "
            "AS k(t, r, h) WHERE s.tenant_id = k.t AND s.rep_id = k.r AND s.content_hash = k.h",
            [r["tenant_id"] for r in rows],
            [r["rep_id"] for r in rows],
            [r["content_hash"] for r in rows],
        )
        RELAYED.labels("scores").inc(len(rows))
        return len(rows)

    async def _feed(self) -> int:
        sent = 0
        for behind in await self._pool.fetch(FEED_BEHIND):
            tenant, position = behind["tenant_id"], behind["published_through"]
            rows = await self._pool.fetch(FEED_PAGE, tenant, position, self._batch_size)
            if not rows:
                continue
            await publish_keyed(
                self._producer,
                self._matched_topic,
                [(record_key(r["tenant_id"], r["rep_id"]), matched_activity_bytes(r)) for r in rows],
                _MATCHED_HEADERS,
            )
            await self._pool.execute(
                "INSERT INTO feed_relay_positions VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE "
                "SET published_through = "
                "GREATEST(feed_relay_positions.published_through, EXCLUDED.published_through)",
                tenant,
                rows[-1]["feed_sequence"],
            )
            sent += len(rows)
        RELAYED.labels("matched").inc(sent)
        return sent
