"""Reads of stored activities for the query service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plumbing.db.pool import Connection, Pool

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
