"""The outbox of digests and alerts (migration 0006) and the facts the digest reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Pool
from services.scoring.adapters.pg_rows import REQUIRED_FIELD_FILLED
from services.scoring.domain.playbook.feedback import RecordToFix
from services.scoring.ports.notifications import DueDelivery

INSERT_NOTIFICATION = """
INSERT INTO notifications (tenant_id, id, team_id, kind, created_at, payload)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
"""
INSERT_DELIVERIES = """
INSERT INTO notification_deliveries (tenant_id, notification_id, target, next_attempt_at)
SELECT $1, $2, t, $4 FROM unnest($3::text[]) t ON CONFLICT DO NOTHING
"""
DUE = """
SELECT d.tenant_id, d.target, d.attempts, n.payload
FROM notification_deliveries d JOIN notifications n ON n.tenant_id = d.tenant_id AND n.id = d.notification_id
WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= $1
ORDER BY d.next_attempt_at, d.tenant_id, d.notification_id, d.target
LIMIT $2
"""
DELIVERED = """
UPDATE notification_deliveries SET delivered_at = $4, attempts = attempts + 1, last_error = ''
WHERE tenant_id = $1 AND notification_id = $2 AND target = $3
"""
RETRY_LATER = """
UPDATE notification_deliveries SET attempts = attempts + 1, last_error = $4, next_attempt_at = $5
WHERE tenant_id = $1 AND notification_id = $2 AND target = $3
"""
GIVEN_UP = """
UPDATE notification_deliveries SET attempts = attempts + 1, last_error = $4, failed_at = $5
WHERE tenant_id = $1 AND notification_id = $2 AND target = $3
"""
LISTED = """
SELECT n.payload,
    count(d.*) FILTER (WHERE d.delivered_at IS NULL AND d.failed_at IS NULL) AS pending,
    count(d.*) FILTER (WHERE d.delivered_at IS NOT NULL) AS done,
    count(d.*) FILTER (WHERE d.failed_at IS NOT NULL) AS failed
FROM notifications n
LEFT JOIN notification_deliveries d ON d.tenant_id = n.tenant_id AND d.notification_id = n.id
WHERE n.tenant_id = $1 AND ($2 = '' OR n.team_id = $2)
GROUP BY n.tenant_id, n.id
ORDER BY n.created_at DESC, n.id
LIMIT $3
"""
# Open opportunities with the most problems first: required fields empty, no activity in 7 days,
# a close date in the past; the largest amount first among equals.
RECORDS_TO_FIX = f"""
SELECT r.owner_rep_id, r.crm_id, r.name,
    array(SELECT f FROM unnest($3::text[]) f WHERE NOT ({REQUIRED_FIELD_FILLED})) AS empty_fields,
    NOT EXISTS (SELECT 1 FROM opportunity_days d WHERE d.tenant_id = r.tenant_id
                AND d.opportunity_crm_id = r.crm_id AND d.day > $2::date - 7 AND d.activities > 0) AS stale,
    coalesce(r.close_date < $2::date, false) AS overdue
FROM crm_records r
WHERE r.tenant_id = $1 AND r.object_type = 'opportunity' AND NOT r.deleted AND NOT r.is_closed
ORDER BY (cardinality(array(SELECT f FROM unnest($3::text[]) f WHERE NOT ({REQUIRED_FIELD_FILLED})))
          + (NOT EXISTS (SELECT 1 FROM opportunity_days d WHERE d.tenant_id = r.tenant_id
                AND d.opportunity_crm_id = r.crm_id AND d.day > $2::date - 7 AND d.activities > 0))::int
          + coalesce(r.close_date < $2::date, false)::int) DESC,
    r.amount DESC, r.crm_id
LIMIT $4
"""
HEALTH_ON = "SELECT payload FROM team_health_snapshots WHERE tenant_id = $1 AND day = $2"
LATEST_HEALTH_DAYS = """
SELECT tenant_id, max(day) AS day FROM team_health_snapshots WHERE day BETWEEN $1 AND $2 GROUP BY tenant_id
"""


class PgNotifications:
    """See `NotificationStore`."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def add(
        self, notes: Sequence[tuple[scoring_pb2.Notification, Sequence[str]]], *, now: datetime
    ) -> int:
        added = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for note, targets in notes:
                status = await conn.execute(
                    INSERT_NOTIFICATION, note.tenant_id, note.id, note.team_id, note.kind, now,
                    note.SerializeToString(),
                )  # fmt: skip
                if status.endswith(" 1"):
                    added += 1
                    await conn.execute(INSERT_DELIVERIES, note.tenant_id, note.id, list(targets), now)
        return added

    async def due(self, *, now: datetime, limit: int) -> list[DueDelivery]:
        rows = await self._pool.fetch(DUE, now, limit)
        return [
            DueDelivery(
                r["tenant_id"], scoring_pb2.Notification.FromString(r["payload"]), r["target"], r["attempts"]
            )
            for r in rows
        ]

    async def delivered(self, tenant_id: str, notification_id: str, target: str, *, now: datetime) -> None:
        await self._pool.execute(DELIVERED, tenant_id, notification_id, target, now)

    async def retry_later(
        self, tenant_id: str, notification_id: str, target: str, *, error: str, next_attempt_at: datetime
    ) -> None:
        await self._pool.execute(RETRY_LATER, tenant_id, notification_id, target, error, next_attempt_at)

    async def given_up(
        self, tenant_id: str, notification_id: str, target: str, *, error: str, now: datetime
    ) -> None:
        await self._pool.execute(GIVEN_UP, tenant_id, notification_id, target, error, now)

    async def listed(self, tenant_id: str, team_id: str, limit: int) -> list[scoring_pb2.Notification]:
        found = []
        for r in await self._pool.fetch(LISTED, tenant_id, team_id, limit):
            note = scoring_pb2.Notification.FromString(r["payload"])
            note.deliveries_pending, note.deliveries_done, note.deliveries_failed = (
                r["pending"],
                r["done"],
                r["failed"],
            )
            found.append(note)
        return found

    async def records_to_fix(
        self, tenant_id: str, as_of: date, required: Sequence[str], limit: int
    ) -> list[tuple[str, RecordToFix]]:
        found = []
        for r in await self._pool.fetch(RECORDS_TO_FIX, tenant_id, as_of, list(required), limit):
            problems = [f"{f} empty" for f in r["empty_fields"]]
            problems += ["no activity in 7 days"] * r["stale"] + ["close date passed"] * r["overdue"]
            if problems:
                record = RecordToFix(
                    "opportunity", r["crm_id"], r["name"], r["owner_rep_id"], "", ", ".join(problems)
                )
                found.append((r["owner_rep_id"], record))
        return found

    async def latest_health_days(self, *, since: date, until: date) -> dict[str, date]:
        rows = await self._pool.fetch(LATEST_HEALTH_DAYS, since, until)
        return {r["tenant_id"]: r["day"] for r in rows}

    async def health_on(self, tenant_id: str, day: date) -> list[scoring_pb2.TeamHealth]:
        return [
            scoring_pb2.TeamHealth.FromString(r["payload"])
            for r in await self._pool.fetch(HEALTH_ON, tenant_id, day)
        ]
