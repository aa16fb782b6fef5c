"""`ErasureStore` on PostgreSQL. Erasure of a rep: their captured activity, counters, manual logs,
forecasts and scores go, and a marker stops any replay of their older events from bringing them back."""

from __future__ import annotations

from plumbing.db.pool import Pool
from services.scoring.adapters.pg_ingest_store import PgIngestTransaction
from services.scoring.ports import ErasureCounts


def _count(status: str) -> int:
    """Rows affected, from asyncpg's command status ("DELETE 12")."""
    return int(status.rsplit(" ", 1)[-1])


class PgErasure:
    """See `ErasureStore`."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def erase_rep(self, tenant_id: str, rep_id: str) -> ErasureCounts:
        return await erase_rep(self._pool, tenant_id, rep_id)

    async def tombstone_queued(self, tenant_id: str, rep_id: str) -> bool:
        queued: bool = await self._pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM score_tombstones WHERE tenant_id = $1 AND rep_id = $2)",
            tenant_id,
            rep_id,
        )
        return queued


async def erase_rep(pool: Pool, tenant_id: str, rep_id: str) -> ErasureCounts:
    """Erase in one transaction under the tenant's ingest lock, so no batch interleaves with it."""
    async with pool.acquire() as conn, conn.transaction():
        await PgIngestTransaction(conn).lock_tenants([tenant_id])
        await conn.execute(
            "INSERT INTO erasures VALUES ($1, $2, clock_timestamp()) "
            "ON CONFLICT (tenant_id, rep_id) DO UPDATE SET erased_at = EXCLUDED.erased_at",
            tenant_id,
            rep_id,
        )
        args = (tenant_id, rep_id)
        await conn.execute("DELETE FROM activity_addresses WHERE tenant_id = $1 AND rep_id = $2", *args)
        activities = _count(
            await conn.execute("DELETE FROM activities WHERE tenant_id = $1 AND rep_id = $2", *args)
        )
        aggregates = _count(
            await conn.execute("DELETE FROM rep_days WHERE tenant_id = $1 AND rep_id = $2", *args)
        )
        aggregates += _count(
            await conn.execute("DELETE FROM opportunity_days WHERE tenant_id = $1 AND rep_id = $2", *args)
        )
        aggregates += _count(
            await conn.execute("DELETE FROM crm_view_days WHERE tenant_id = $1 AND rep_id = $2", *args)
        )
        crm = _count(
            await conn.execute("DELETE FROM manual_logs WHERE tenant_id = $1 AND rep_id = $2", *args)
        )
        crm += _count(await conn.execute("DELETE FROM forecasts WHERE tenant_id = $1 AND rep_id = $2", *args))
        scores = _count(
            await conn.execute("DELETE FROM rep_scores WHERE tenant_id = $1 AND rep_id = $2", *args)
        )
        scores += _count(
            await conn.execute("DELETE FROM rep_score_weeks WHERE tenant_id = $1 AND rep_id = $2", *args)
        )
        for table in ("dirty_reps", "reps", "diagnostics", "mailbox_health", "rep_away_periods"):
            await conn.execute(f"DELETE FROM {table} WHERE tenant_id = $1 AND rep_id = $2", *args)
        await conn.execute(
            "INSERT INTO score_tombstones VALUES ($1, $2, clock_timestamp()) "
            "ON CONFLICT (tenant_id, rep_id) DO UPDATE SET queued_at = EXCLUDED.queued_at",
            *args,
        )
        # Team health and diagnostics mention the rep in aggregate: recompute them without the rep.
        await conn.execute(
            "INSERT INTO rescore_requests (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) "
            "DO UPDATE SET requested_at = now()",
            tenant_id,
        )
    return ErasureCounts(activities, aggregates, scores, crm)
