"""`ScoreStore` on PostgreSQL: rep scores and their weekly snapshots, the dirty marks that trigger
rescoring, and the bookkeeping of full passes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import date, datetime

from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.pg_score_inputs import load_rep_inputs
from services.scoring.adapters.pg_statistics import refresh_stale_statistics
from services.scoring.adapters.proto_mapping import CLASSIFICATIONS, rep_score_proto
from services.scoring.domain.instants import monday_of
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.ports import DirtyMarks

STAGING = """
CREATE TEMP TABLE IF NOT EXISTS stage_scores (
    tenant_id text, rep_id text, team_id text, adoption double precision, data_quality double precision,
    classification smallint, content_hash bytea, payload bytea, computed_at timestamptz
) ON COMMIT DELETE ROWS
"""

# Empties the staging table as it reads it: the rescore saves chunk after chunk in one transaction,
# and `ON COMMIT DELETE ROWS` alone made every chunk upsert all the chunks before it again
# (55,000 row updates for 10,000 reps instead of 10,000).
UPSERT_SCORES = """
WITH staged AS (DELETE FROM stage_scores RETURNING *)
INSERT INTO rep_scores (tenant_id, rep_id, team_id, adoption, data_quality, classification, content_hash,
                        payload, computed_at)
SELECT * FROM staged
ON CONFLICT (tenant_id, rep_id) DO UPDATE SET team_id = EXCLUDED.team_id, adoption = EXCLUDED.adoption,
    data_quality = EXCLUDED.data_quality, classification = EXCLUDED.classification,
    content_hash = EXCLUDED.content_hash, payload = EXCLUDED.payload, computed_at = EXCLUDED.computed_at
"""


async def read_dirty(conn: Connection, tenant_id: str) -> DirtyMarks:
    rows = await conn.fetch(
        "SELECT rep_id, mark FROM dirty_reps WHERE tenant_id = $1 ORDER BY rep_id", tenant_id
    )
    return DirtyMarks([r["rep_id"] for r in rows], [r["mark"] for r in rows])


async def clear_dirty(conn: Connection, tenant_id: str, marks: DirtyMarks) -> None:
    if marks.reps:
        await conn.execute(
            "DELETE FROM dirty_reps d USING unnest($2::text[], $3::bigint[]) AS k(rep, mark) "
            "WHERE d.tenant_id = $1 AND d.rep_id = k.rep AND d.mark = k.mark",
            tenant_id,
            marks.reps,
            marks.marks,
        )


async def stored_hashes(conn: Connection, tenant_id: str, reps: Collection[str] | None) -> dict[str, bytes]:
    rows = await conn.fetch(
        "SELECT rep_id, content_hash FROM rep_scores "
        "WHERE tenant_id = $1 AND ($2::text[] IS NULL OR rep_id = ANY($2))",
        tenant_id,
        sorted(reps) if reps is not None else None,
    )
    return {r["rep_id"]: bytes(r["content_hash"]) for r in rows}


async def save_scores(
    conn: Connection,
    results: Sequence[RepScoreResult],
    *,
    computed_at: datetime,
    hashes: Mapping[str, bytes] | None = None,
) -> None:
    """Store changed scores (their publication to gt.scores.v1 follows) and this week's snapshot.

    `hashes` are the results' content hashes by rep, when the caller computed them already."""
    if not results:
        return
    known = hashes or {}
    await conn.execute(STAGING)
    await conn.copy_records_to_table(
        "stage_scores",
        records=[
            (
                r.tenant_id,
                r.rep_id,
                r.team_id,
                r.adoption,
                r.data_quality,
                CLASSIFICATIONS[r.verdict.classification],
                digest,
                rep_score_proto(r, computed_at=computed_at, content_hash=digest).SerializeToString(
                    deterministic=True
                ),
                computed_at,
            )
            for r, digest in ((r, known.get(r.rep_id) or r.content_hash()) for r in results)
        ],
    )
    await conn.execute(UPSERT_SCORES)
    await conn.execute(
        "INSERT INTO rep_score_weeks SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::float8[], "
        "$5::float8[]) ON CONFLICT (tenant_id, rep_id, week_start) "
        "DO UPDATE SET adoption = EXCLUDED.adoption, data_quality = EXCLUDED.data_quality",
        [r.tenant_id for r in results],
        [r.rep_id for r in results],
        [monday_of(r.window_end) for r in results],
        [r.adoption for r in results],
        [r.data_quality for r in results],
    )


async def record_full_rescore(
    conn: Connection, tenant_id: str, day: date, at: datetime, requested_at: datetime | None
) -> None:
    await conn.execute(
        "INSERT INTO tenant_rescores VALUES ($1, $2, $3) ON CONFLICT (tenant_id) "
        "DO UPDATE SET last_full_day = EXCLUDED.last_full_day, last_full_at = EXCLUDED.last_full_at",
        tenant_id,
        day,
        at,
    )
    if requested_at is not None:
        await conn.execute(
            "DELETE FROM rescore_requests WHERE tenant_id = $1 AND requested_at <= $2",
            tenant_id,
            requested_at,
        )


# `tenants_due` for one tenant, by primary keys only (no scan of every tenant's reps).
TENANT_DUE = """
SELECT EXISTS (SELECT 1 FROM rescore_requests WHERE tenant_id = $1)
       OR (EXISTS (SELECT 1 FROM reps WHERE tenant_id = $1)
           AND NOT EXISTS (SELECT 1 FROM tenant_rescores WHERE tenant_id = $1 AND last_full_day >= $2))
       AS full,
       EXISTS (SELECT 1 FROM dirty_reps WHERE tenant_id = $1) AS dirty
"""


async def tenants_due(conn: Connection, today: date) -> tuple[set[str], set[str]]:
    """Tenants due for a full rescore (asked for, or not rescored today), and tenants with dirty reps."""
    full = {r["tenant_id"] for r in await conn.fetch("SELECT tenant_id FROM rescore_requests")}
    for r in await conn.fetch(
        "SELECT t.tenant_id FROM (SELECT DISTINCT tenant_id FROM reps) t "
        "LEFT JOIN tenant_rescores s USING (tenant_id) WHERE s.last_full_day IS NULL OR s.last_full_day < $1",
        today,
    ):
        full.add(r["tenant_id"])
    dirty = {r["tenant_id"] for r in await conn.fetch("SELECT DISTINCT tenant_id FROM dirty_reps")}
    return full, dirty - full


async def prune_dedupe_keys(conn: Connection, *, older_than: datetime, limit: int = 50_000) -> int:
    """Forget CRM event dedupe keys older than any record the input topics can still deliver."""
    status = await conn.execute(
        "DELETE FROM processed_events WHERE ctid IN "
        "(SELECT ctid FROM processed_events WHERE processed_at < $1 LIMIT $2)",
        older_than,
        limit,
    )
    return int(status.rsplit(" ", 1)[-1])


# "Record creation rate: new contacts, accounts, and deals created per week" (deleted ones included:
# they were created). Days are UTC days of the CRM's created_at.
RECORDS_CREATED = """
SELECT owner_rep_id, count(*) AS created FROM crm_records
WHERE tenant_id = $1 AND owner_rep_id <> '' AND created_at >= $2::date AND created_at < $3::date + 1
GROUP BY owner_rep_id
"""
# An SDR's prospecting: the contacts they created (judged for the roles whose profile weighs it).
CONTACTS_CREATED = """
SELECT owner_rep_id, count(*) AS created FROM crm_records
WHERE tenant_id = $1 AND object_type = 'contact' AND owner_rep_id <> ''
  AND created_at >= $2::date AND created_at < $3::date + 1
GROUP BY owner_rep_id
"""


class PgScoreTransaction:
    """One rescore transaction on its connection; see `ScoreTransaction`."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def stored_hashes(self, tenant_id: str, reps: Collection[str] | None) -> dict[str, bytes]:
        return await stored_hashes(self._conn, tenant_id, reps)

    async def save_scores(
        self, results: Sequence[RepScoreResult], *, computed_at: datetime, hashes: Mapping[str, bytes]
    ) -> None:
        await save_scores(self._conn, results, computed_at=computed_at, hashes=hashes)

    async def clear_dirty(self, tenant_id: str, marks: DirtyMarks) -> None:
        await clear_dirty(self._conn, tenant_id, marks)

    async def record_full_rescore(
        self, tenant_id: str, day: date, at: datetime, requested_at: datetime | None
    ) -> None:
        await record_full_rescore(self._conn, tenant_id, day, at, requested_at)


class PgScoreStore:
    """See `ScoreStore`. Reads take a pool connection each (the inputs' statements run at once);
    `transaction` holds one connection for its block."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def refresh_statistics(self) -> list[str]:
        async with self._pool.acquire() as conn:
            return await refresh_stale_statistics(conn)

    async def rescore_requested_at(self, tenant_id: str) -> datetime | None:
        requested_at: datetime | None = await self._pool.fetchval(
            "SELECT requested_at FROM rescore_requests WHERE tenant_id = $1", tenant_id
        )
        return requested_at

    async def dirty_marks(self, tenant_id: str) -> DirtyMarks:
        async with self._pool.acquire() as conn:
            return await read_dirty(conn, tenant_id)

    async def rep_inputs(
        self, settings: TenantSettings, *, as_of: date, reps: Collection[str] | None
    ) -> list[RepInputs]:
        # On the pool: each statement gets its own connection and PostgreSQL runs them at once.
        return await load_rep_inputs(self._pool, settings, as_of=as_of, reps=reps)

    async def records_created(self, tenant_id: str, *, since: date, until: date) -> dict[str, int]:
        rows = await self._pool.fetch(RECORDS_CREATED, tenant_id, since, until)
        return {r["owner_rep_id"]: r["created"] for r in rows}

    async def contacts_created(self, tenant_id: str, *, since: date, until: date) -> dict[str, int]:
        rows = await self._pool.fetch(CONTACTS_CREATED, tenant_id, since, until)
        return {r["owner_rep_id"]: r["created"] for r in rows}

    async def crm_views(
        self, tenant_id: str, *, since: date, until: date
    ) -> list[tuple[str, date, str, int]]:
        rows = await self._pool.fetch(
            "SELECT rep_id, day, kind, views FROM crm_view_days "
            "WHERE tenant_id = $1 AND day BETWEEN $2 AND $3",
            tenant_id,
            since,
            until,
        )
        return [(r["rep_id"], r["day"], r["kind"], r["views"]) for r in rows]

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgScoreTransaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield PgScoreTransaction(conn)

    async def tenants_due(self, today: date) -> tuple[set[str], set[str]]:
        async with self._pool.acquire() as conn:
            return await tenants_due(conn, today)

    async def tenant_due(self, tenant_id: str, today: date) -> tuple[bool, bool]:
        (row,) = await self._pool.fetch(TENANT_DUE, tenant_id, today)  # one row, always
        return bool(row["full"]), bool(row["dirty"])

    async def fully_rescored_since(self, since: datetime) -> set[str]:
        rows = await self._pool.fetch("SELECT tenant_id FROM tenant_rescores WHERE last_full_at > $1", since)
        return {r["tenant_id"] for r in rows}

    async def prune_dedupe_keys(self, *, older_than: datetime) -> int:
        async with self._pool.acquire() as conn:
            return await prune_dedupe_keys(conn, older_than=older_than)
