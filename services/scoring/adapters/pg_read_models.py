"""`CrmReads` on PostgreSQL: the read models over the CRM mirror and the write-back feed. Every query
is scoped by tenant_id first."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import asyncpg

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Pool
from services.scoring.adapters.pg_feed import feed_rows, matched_activity
from services.scoring.adapters.proto_mapping import timestamp
from services.scoring.domain.instants import day_start
from services.scoring.ports import ForecastOutcome, OpportunityQuery, ReadinessCounts

OPPORTUNITIES = """
SELECT r.*,
    GREATEST(
        (SELECT max(a.occurred_at) FROM activities a WHERE a.tenant_id = r.tenant_id
            AND a.account_crm_id = r.account_crm_id AND a.account_crm_id <> ''
            AND a.opportunity_crm_id = r.crm_id AND NOT a.is_deletion AND NOT a.is_cancelled),
        (SELECT max(m.occurred_at) FROM manual_logs m WHERE m.tenant_id = r.tenant_id
            AND m.related_crm_id = r.crm_id)
    ) AS last_activity_at,
    EXISTS (SELECT 1 FROM opportunity_days d WHERE d.tenant_id = r.tenant_id
            AND d.opportunity_crm_id = r.crm_id AND d.day >= $5 AND d.activities > 0) AS active_7d
FROM crm_records r
WHERE r.tenant_id = $1 AND r.object_type = 'opportunity' AND NOT r.deleted AND NOT r.is_closed
  AND ($2::text[] IS NULL OR r.owner_rep_id = ANY($2)) AND r.crm_id > $3
  AND (NOT $4 OR (btrim(r.next_step) <> '' AND r.next_step_date >= $7 AND r.modified_at >= $6
       AND r.close_date >= $7
       AND EXISTS (SELECT 1 FROM opportunity_days d WHERE d.tenant_id = r.tenant_id
                   AND d.opportunity_crm_id = r.crm_id AND d.day >= $5 AND d.activities > 0)))
ORDER BY r.crm_id LIMIT $8
"""


def record_summary(
    row: asyncpg.Record, last_activity_at: datetime | None = None
) -> scoring_pb2.CrmRecordSummary:
    summary = scoring_pb2.CrmRecordSummary(
        crm_id=row["crm_id"],
        object_type=row["object_type"],
        name=row["name"],
        owner_rep_id=row["owner_rep_id"],
        stage=row["stage"],
        amount=row["amount"],
        close_date=row["close_date"].isoformat() if row["close_date"] else "",
        next_step=row["next_step"],
        next_step_date=row["next_step_date"].isoformat() if row["next_step_date"] else "",
        is_closed=row["is_closed"],
        account_crm_id=row["account_crm_id"],
        modified_at=timestamp(row["modified_at"]),
    )
    if last_activity_at is not None:
        summary.last_activity_at.CopyFrom(timestamp(last_activity_at))
    return summary


AGENDA_MEETINGS = """
SELECT payload, occurred_at, account_crm_id, opportunity_crm_id FROM activities
WHERE tenant_id = $1 AND rep_id = $2 AND kind = $3 AND occurred_at >= $4 AND occurred_at < $5
  AND NOT is_deletion AND NOT is_cancelled ORDER BY occurred_at, id
"""
LIVE_RECORD = (
    "SELECT * FROM crm_records WHERE tenant_id = $1 AND object_type = $2 AND crm_id = $3 AND NOT deleted"
)
LAST_INTERACTIONS = """
SELECT payload FROM activities WHERE tenant_id = $1 AND account_crm_id = $2 AND occurred_at < $3
  AND NOT is_deletion AND NOT is_cancelled ORDER BY occurred_at DESC LIMIT 3
"""
FORECASTS_WITH_OUTCOMES = """
SELECT f.rep_id, f.period, f.period_end, f.committed_amount, coalesce((SELECT sum(r.amount)
    FROM crm_records r WHERE r.tenant_id = f.tenant_id AND r.object_type = 'opportunity' AND NOT r.deleted
    AND r.is_won AND r.owner_rep_id = f.rep_id AND r.close_date BETWEEN f.period_start AND f.period_end), 0)
    AS closed_won
FROM forecasts f WHERE f.tenant_id = $1 AND ($2 = '' OR f.rep_id = $2)
ORDER BY f.period_start DESC, f.rep_id
"""

READINESS = """
SELECT count(*) AS open_opportunities,
    count(*) FILTER (WHERE close_date < $2) AS past_close_date,
    count(*) FILTER (WHERE stale) AS stale
FROM (
    SELECT r.close_date, r.modified_at < $3 AND NOT EXISTS (
        SELECT 1 FROM opportunity_days d WHERE d.tenant_id = r.tenant_id AND d.opportunity_crm_id = r.crm_id
        AND d.day >= $4 AND d.activities > 0) AS stale
    FROM crm_records r
    WHERE r.tenant_id = $1 AND r.object_type = 'opportunity' AND NOT r.deleted AND NOT r.is_closed
) o
"""

STALE_EXAMPLES = """
SELECT r.* FROM crm_records r
WHERE r.tenant_id = $1 AND r.object_type = 'opportunity' AND NOT r.deleted AND NOT r.is_closed AND
    r.modified_at < $2
  AND NOT EXISTS (SELECT 1 FROM opportunity_days d WHERE d.tenant_id = r.tenant_id AND
      d.opportunity_crm_id = r.crm_id
                  AND d.day >= $3 AND d.activities > 0)
ORDER BY r.amount DESC, r.crm_id LIMIT 10
"""


class PgCrmReads:
    """See `CrmReads`; every read takes a pool connection of its own."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def matched_feed(
        self, *, tenant_id: str, after: int, limit: int, rep_id: str
    ) -> list[scoring_pb2.MatchedActivity]:
        rows = await feed_rows(self._pool, tenant_id=tenant_id, after=after, limit=limit, rep_id=rep_id)
        return [matched_activity(r) for r in rows]

    async def open_opportunities(self, query: OpportunityQuery) -> list[scoring_pb2.CrmRecordSummary]:
        today = query.today
        rows = await self._pool.fetch(
            OPPORTUNITIES,
            query.tenant_id,
            list(query.owners) if query.owners is not None else None,
            query.after_crm_id,
            query.review_ready_only,
            today - timedelta(days=6),
            day_start(today - timedelta(days=query.next_step_max_age_days)),
            today,
            query.limit,
        )
        return [record_summary(r, r["last_activity_at"]) for r in rows]

    async def agenda(
        self, *, tenant_id: str, rep_id: str, start: datetime, end: datetime
    ) -> list[scoring_pb2.AgendaItem]:
        pool = self._pool
        meetings = await pool.fetch(
            AGENDA_MEETINGS, tenant_id, rep_id, activity_pb2.ACTIVITY_KIND_MEETING, start, end
        )
        items = []
        for meeting in meetings:
            item = scoring_pb2.AgendaItem(meeting=activity_pb2.Activity.FromString(meeting["payload"]))
            for crm_id, object_type, field in (
                (meeting["account_crm_id"], "account", item.account),
                (meeting["opportunity_crm_id"], "opportunity", item.opportunity),
            ):
                if not crm_id:
                    continue
                record = await pool.fetchrow(LIVE_RECORD, tenant_id, object_type, crm_id)
                if record is not None:
                    field.CopyFrom(record_summary(record))
            if meeting["account_crm_id"]:
                previous = await pool.fetch(
                    LAST_INTERACTIONS, tenant_id, meeting["account_crm_id"], meeting["occurred_at"]
                )
                item.last_interactions.extend(
                    activity_pb2.Activity.FromString(p["payload"]) for p in previous
                )
            items.append(item)
        return items

    async def forecasts_with_outcomes(self, *, tenant_id: str, rep_id: str) -> list[ForecastOutcome]:
        rows = await self._pool.fetch(FORECASTS_WITH_OUTCOMES, tenant_id, rep_id)
        return [
            ForecastOutcome(
                r["rep_id"], r["period"], r["period_end"], r["committed_amount"], float(r["closed_won"])
            )
            for r in rows
        ]

    async def readiness_counts(self, *, tenant_id: str, today: date, stale_days: int) -> ReadinessCounts:
        since = today - timedelta(days=stale_days)
        row = await self._pool.fetchrow(READINESS, tenant_id, today, day_start(since), since)
        assert row is not None  # an aggregate without GROUP BY always returns one row
        return ReadinessCounts(row["open_opportunities"], row["past_close_date"], row["stale"])

    async def stale_examples(
        self, *, tenant_id: str, today: date, stale_days: int
    ) -> list[scoring_pb2.CrmRecordSummary]:
        since = today - timedelta(days=stale_days)
        return [
            record_summary(r)
            for r in await self._pool.fetch(STALE_EXAMPLES, tenant_id, day_start(since), since)
        ]
