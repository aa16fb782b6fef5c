"""Away periods in PostgreSQL (`rep_away_periods`, migration 0008): idempotent, latest version wins."""

from __future__ import annotations

from collections.abc import Sequence

from plumbing.db.pool import Connection
from services.scoring.domain.away import AwayPeriod
from services.scoring.domain.ingest_plan import RepRef
from services.scoring.domain.instants import us_to_datetime

UPSERT_AWAY = """
INSERT INTO rep_away_periods AS p
    (tenant_id, id, rep_id, starts_at, ends_at, removed, version_us, version_event)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                     $6::boolean[], $7::bigint[], $8::text[])
ON CONFLICT (tenant_id, id) DO UPDATE SET
    rep_id = EXCLUDED.rep_id, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
    removed = EXCLUDED.removed, version_us = EXCLUDED.version_us, version_event = EXCLUDED.version_event
WHERE (p.version_us, p.version_event) < (EXCLUDED.version_us, EXCLUDED.version_event)
RETURNING p.tenant_id, p.rep_id
"""

NO_LONGER_AWAY = """
UPDATE rep_away_periods p SET removed = true, version_us = m.version_us, version_event = m.version_event
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS m(tenant_id, id, version_us, version_event)
WHERE p.tenant_id = m.tenant_id AND p.id = m.id AND NOT p.removed
  AND (p.version_us, p.version_event) < (m.version_us, m.version_event)
RETURNING p.tenant_id, p.rep_id
"""


async def write_away(
    conn: Connection, periods: Sequence[AwayPeriod], no_longer_away: Sequence[AwayPeriod]
) -> set[RepRef]:
    """At most one entry per (tenant, id) in each sequence. Returns the reps whose periods changed."""
    changed: set[RepRef] = set()
    if periods:
        rows = await conn.fetch(
            UPSERT_AWAY,
            [p.tenant_id for p in periods],
            [p.id for p in periods],
            [p.rep_id for p in periods],
            [us_to_datetime(p.starts_us) for p in periods],
            [us_to_datetime(p.ends_us) for p in periods],
            [p.removed for p in periods],
            [p.modified_us for p in periods],
            [p.event_id for p in periods],
        )
        changed |= {(r["tenant_id"], r["rep_id"]) for r in rows}
    if no_longer_away:
        rows = await conn.fetch(
            NO_LONGER_AWAY,
            [p.tenant_id for p in no_longer_away],
            [p.id for p in no_longer_away],
            [p.modified_us for p in no_longer_away],
            [p.event_id for p in no_longer_away],
        )
        changed |= {(r["tenant_id"], r["rep_id"]) for r in rows}
    return changed
