"""`RelayStore` on PostgreSQL: the outbox of committed changes the relays publish to Kafka (queued
tombstones, scores whose published hash lags, feed positions past the published one)."""

from __future__ import annotations

from collections.abc import Sequence

from plumbing.db.pool import Pool
from services.scoring.adapters.pg_feed import feed_rows, matched_activity_bytes
from services.scoring.ports import FeedEntry, QueuedTombstone, UnpublishedScore

FEED_BEHIND = """
SELECT p.tenant_id, coalesce(r.published_through, 0) AS published_through
FROM feed_positions p LEFT JOIN feed_relay_positions r USING (tenant_id)
WHERE p.last_sequence > coalesce(r.published_through, 0)
ORDER BY p.tenant_id
"""
QUEUED_TOMBSTONES = "SELECT tenant_id, rep_id, queued_at FROM score_tombstones ORDER BY queued_at LIMIT $1"
FORGET_TOMBSTONES = """
DELETE FROM score_tombstones t USING unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(t, r, q)
WHERE t.tenant_id = k.t AND t.rep_id = k.r AND t.queued_at = k.q
"""
UNPUBLISHED_SCORES = """
SELECT tenant_id, rep_id, payload, content_hash FROM rep_scores
WHERE published_hash IS DISTINCT FROM content_hash LIMIT $1
"""
MARK_PUBLISHED = """
UPDATE rep_scores s SET published_hash = k.h FROM unnest($1::text[], $2::text[], $3::bytea[]) AS k(t, r, h)
WHERE s.tenant_id = k.t AND s.rep_id = k.r AND s.content_hash = k.h
"""
FEED_PUBLISHED_THROUGH = """
INSERT INTO feed_relay_positions VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE
SET published_through = GREATEST(feed_relay_positions.published_through, EXCLUDED.published_through)
"""


class PgRelayStore:
    """See `RelayStore`; every statement takes a pool connection of its own."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def queued_tombstones(self, limit: int) -> list[QueuedTombstone]:
        rows = await self._pool.fetch(QUEUED_TOMBSTONES, limit)
        return [QueuedTombstone(r["tenant_id"], r["rep_id"], r["queued_at"]) for r in rows]

    async def forget_tombstones(self, published: Sequence[QueuedTombstone]) -> None:
        keys = [(t.tenant_id, t.rep_id, t.queued_at) for t in published]
        await self._pool.execute(FORGET_TOMBSTONES, *_arrays(keys, width=3))

    async def unpublished_scores(self, limit: int) -> list[UnpublishedScore]:
        rows = await self._pool.fetch(UNPUBLISHED_SCORES, limit)
        return [
            UnpublishedScore(r["tenant_id"], r["rep_id"], bytes(r["payload"]), r["content_hash"])
            for r in rows
        ]

    async def mark_published(self, published: Sequence[UnpublishedScore]) -> None:
        keys = [(s.tenant_id, s.rep_id, s.content_hash) for s in published]
        await self._pool.execute(MARK_PUBLISHED, *_arrays(keys, width=3))

    async def feeds_behind(self) -> list[tuple[str, int]]:
        return [(r["tenant_id"], r["published_through"]) for r in await self._pool.fetch(FEED_BEHIND)]

    async def feed_page(self, tenant_id: str, *, after: int, limit: int) -> list[FeedEntry]:
        rows = await feed_rows(self._pool, tenant_id=tenant_id, after=after, limit=limit)
        return [
            FeedEntry(r["tenant_id"], r["rep_id"], matched_activity_bytes(r), r["feed_sequence"])
            for r in rows
        ]

    async def feed_published_through(self, tenant_id: str, sequence: int) -> None:
        await self._pool.execute(FEED_PUBLISHED_THROUGH, tenant_id, sequence)


def _arrays(rows: Sequence[tuple[object, ...]], *, width: int) -> list[list[object]]:
    """Rows as one array per column, the parameters of an `unnest($1, $2, ...)`."""
    return [[row[i] for row in rows] for i in range(width)]
