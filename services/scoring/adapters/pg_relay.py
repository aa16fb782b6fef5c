"""`RelayStore` on PostgreSQL: the outbox of committed changes the relays publish to Kafka (queued
tombstones, scores whose published hash lags, feed positions past the published one).

Every statement runs on one connection of the relay's own, outside the ingest pool, so ingest never
waits for a connection the relay holds. The same connection holds a session-level advisory lock: the
process holding it is the one relay publisher of the whole database, so two scoring processes never
publish the same outbox row (the lock goes with the connection when the process dies).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeAlias

import asyncpg

from services.scoring.adapters.matched_wire import (
    MatchFields,
    matched_activity_value,
    observed_field,
    tenant_field,
)
from services.scoring.ports import FeedBehind, FeedPage, QueuedTombstone, UnpublishedScore

FEED_BEHIND = """
SELECT p.tenant_id, coalesce(r.published_through, 0) AS published_through, p.last_sequence
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
# The columns a MatchedActivity is written from, by position (see `_feed_page`). `feed_sequence > 0`
# is implied by `> $2` ($2 >= 0) but spelled out: a generic plan can then use the partial index
# activities_feed (its predicate) instead of reading the tenant's every activity per page.
FEED_PAGE = """
SELECT id, rep_id, occurred_at, stored_at, payload, match_links, feed_sequence FROM activities
WHERE tenant_id = $1 AND feed_sequence > 0 AND feed_sequence > $2 ORDER BY feed_sequence LIMIT $3
"""
FEED_PUBLISHED_THROUGH = """
INSERT INTO feed_relay_positions VALUES ($1, $2) ON CONFLICT (tenant_id) DO UPDATE
SET published_through = GREATEST(feed_relay_positions.published_through, EXCLUDED.published_through)
"""


_log = logging.getLogger(__name__)
LEADER_KEY = int.from_bytes(
    hashlib.blake2b(b"groundtruth-scoring:relay-leader", digest_size=8).digest(), "big", signed=True
)
RelayConnection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"


class PgRelayStore:
    """See `RelayStore`. `connect` opens the relay's own connection (again after a failure)."""

    def __init__(self, connect: Callable[[], Awaitable[RelayConnection]]) -> None:
        self._connect = connect
        self._conn: RelayConnection | None = None
        self._leading = False
        self._match_fields = MatchFields()

    async def lead(self) -> bool:
        if self._conn is None or self._conn.is_closed():
            self._conn, self._leading = await self._connect(), False
        if not self._leading:
            # Session-level on purpose, on this connection alone (never pooled): held until it closes.
            self._leading = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_KEY))
            if self._leading:
                _log.info("this process is now the relay publisher")
        return self._leading

    async def step_down(self) -> None:
        conn, self._conn, self._leading = self._conn, None, False
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                conn.terminate()

    @property
    def _db(self) -> RelayConnection:
        if self._conn is None or not self._leading:
            raise RuntimeError("the relay store is used without the relay lease (call lead() first)")
        return self._conn

    async def queued_tombstones(self, limit: int) -> list[QueuedTombstone]:
        rows = await self._db.fetch(QUEUED_TOMBSTONES, limit)
        return [QueuedTombstone(r["tenant_id"], r["rep_id"], r["queued_at"]) for r in rows]

    async def forget_tombstones(self, published: Sequence[QueuedTombstone]) -> None:
        keys = [(t.tenant_id, t.rep_id, t.queued_at) for t in published]
        await self._db.execute(FORGET_TOMBSTONES, *_arrays(keys, width=3))

    async def unpublished_scores(self, limit: int) -> list[UnpublishedScore]:
        rows = await self._db.fetch(UNPUBLISHED_SCORES, limit)
        return [
            UnpublishedScore(r["tenant_id"], r["rep_id"], bytes(r["payload"]), r["content_hash"])
            for r in rows
        ]

    async def mark_published(self, published: Sequence[UnpublishedScore]) -> None:
        keys = [(s.tenant_id, s.rep_id, s.content_hash) for s in published]
        await self._db.execute(MARK_PUBLISHED, *_arrays(keys, width=3))

    async def feeds_behind(self) -> list[FeedBehind]:
        rows = await self._db.fetch(FEED_BEHIND)
        return [FeedBehind(r["tenant_id"], r["published_through"], r["last_sequence"]) for r in rows]

    async def feed_page(self, tenant_id: str, *, after: int, limit: int) -> FeedPage | None:
        rows = await self._db.fetch(FEED_PAGE, tenant_id, after, limit)
        return _feed_page(tenant_id, rows, self._match_fields) if rows else None

    async def feed_published_through(self, tenant_id: str, sequence: int) -> None:
        await self._db.execute(FEED_PUBLISHED_THROUGH, tenant_id, sequence)


def _feed_page(tenant_id: str, rows: Sequence[asyncpg.Record], match_fields: MatchFields) -> FeedPage:
    """The page's MatchedActivity values, written straight from the rows (`matched_wire`).

    The rows of one ingest batch share their stored_at: each distinct one is written once per page."""
    tenant = tenant_field(tenant_id)
    observed: dict[datetime, bytes] = {}
    records: list[tuple[str, str, bytes]] = []
    for activity_id, rep_id, occurred_at, stored_at, payload, links, sequence in rows:
        stored = observed.get(stored_at)
        if stored is None:
            stored = observed[stored_at] = observed_field(stored_at)
        value = matched_activity_value(
            event_id=f"{activity_id}:{sequence}",
            tenant=tenant,
            occurred_at=occurred_at,
            observed=stored,
            match=match_fields(links),
            feed_sequence=sequence,
            activity=payload,
        )
        records.append((tenant_id, rep_id, value))
    return FeedPage(records, rows[-1]["feed_sequence"])


def _arrays(rows: Sequence[tuple[object, ...]], *, width: int) -> list[list[object]]:
    """Rows as one array per column, the parameters of an `unnest($1, $2, ...)`."""
    return [[row[i] for row in rows] for i in range(width)]
