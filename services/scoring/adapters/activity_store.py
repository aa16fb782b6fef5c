"""PostgreSQL access for activities. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from plumbing.db.pool import Connection, Pool
from services.scoring.domain.activities import StoredActivity

# Idempotent and order-independent: an older version never overwrites a newer one.
UPSERT_ACTIVITY = """
INSERT INTO activities (id, tenant_id, rep_id, kind, provider, occurred_at, source_modified_at,
                        is_cancelled, is_deletion, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO UPDATE SET
    kind = EXCLUDED.kind,
    occurred_at = EXCLUDED.occurred_at,
    source_modified_at = EXCLUDED.source_modified_at,
    is_cancelled = EXCLUDED.is_cancelled,
    is_deletion = EXCLUDED.is_deletion,
    payload = EXCLUDED.payload
WHERE activities.source_modified_at <= EXCLUDED.source_modified_at
"""

LIST_REP_ACTIVITIES = """
SELECT id, occurred_at, payload, stored_at FROM activities
WHERE tenant_id = $1 AND rep_id = $2 AND NOT is_deletion
  AND ($3::timestamptz IS NULL OR (occurred_at, id) < ($3, $4))
ORDER BY occurred_at DESC, id DESC
LIMIT $5
"""


@dataclass(frozen=True)
class ActivityPageCursor:
    """Keyset position: the last row of the previous page."""

    occurred_at: datetime
    id: str


@dataclass(frozen=True)
class StoredActivityRecord:
    id: str
    occurred_at: datetime
    payload: bytes
    stored_at: datetime


async def upsert_activities(conn: Connection, rows: Sequence[StoredActivity]) -> None:
    await conn.executemany(
        UPSERT_ACTIVITY,
        [
            (r.id, r.tenant_id, r.rep_id, r.kind, r.provider, r.occurred_at, r.source_modified_at,
             r.is_cancelled, r.is_deletion, r.payload)
            for r in rows
        ],
    )  # fmt: skip


async def list_rep_activities(
    conn: Connection | Pool,
    *,
    tenant_id: str,
    rep_id: str,
    limit: int,
    after: ActivityPageCursor | None,
) -> list[StoredActivityRecord]:
    rows = await conn.fetch(
        LIST_REP_ACTIVITIES,
        tenant_id,
        rep_id,
        after.occurred_at if after else None,
        after.id if after else None,
        limit,
    )
    return [StoredActivityRecord(r["id"], r["occurred_at"], r["payload"], r["stored_at"]) for r in rows]
