"""Database readiness."""

from __future__ import annotations

from plumbing.db.pool import Pool


async def database_reachable(pool: Pool) -> bool:
    try:
        return bool(await pool.fetchval("SELECT true", timeout=2))
    except Exception:
        return False
