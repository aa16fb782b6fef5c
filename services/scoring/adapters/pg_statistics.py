"""Fresh planner statistics before heavy tenant-wide queries.

Scoring's tables can grow from nothing to millions of rows in minutes (a backfill, a new tenant).
Autovacuum analyzes them eventually, but until it does the planner believes they are small and
picks nested loops over what are now large sets. A full rescore first analyzes any table that
changed a lot since its last analysis; ANALYZE samples a fixed number of rows and blocks nobody.
"""

from __future__ import annotations

import logging

from plumbing.db.pool import Connection

_log = logging.getLogger(__name__)

STALE_TABLES = """
SELECT relname FROM pg_stat_user_tables
WHERE schemaname = current_schema()
  AND n_mod_since_analyze > GREATEST(1000, 0.2 * n_live_tup)
"""


async def refresh_stale_statistics(conn: Connection) -> list[str]:
    """Analyze the tables of the current schema whose statistics lag; returns their names."""
    stale = [r["relname"] for r in await conn.fetch(STALE_TABLES)]
    for table in stale:
        await conn.execute(f'ANALYZE "{table}"')
    if stale:
        _log.info("statistics refreshed", extra={"tables": stale})
    return stale
