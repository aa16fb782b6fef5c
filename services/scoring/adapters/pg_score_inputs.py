"""Computes every rep's `RepInputs` for one tenant with a handful of set-based queries.

The database sums the day counters per rep over each period (window, last 14 days, every calendar
week since go-live: at least 4, at most 13, a quarter, which covers the 90-day mark) in one pass;
Python never sees individual days, so a 10,000-rep tenant costs a few queries.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any, TypeAlias

import asyncpg

from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.pg_counted_days import (
    AWAY_DAYS,
    PresentDays,
    away_by_rep,
    counted_days,
    start_dates,
)
from services.scoring.adapters.pg_rows import REQUIRED_FIELD_FILLED
from services.scoring.domain.away import present_days
from services.scoring.domain.capture_reports import CaptureReport
from services.scoring.domain.instants import day_start, monday_of
from services.scoring.domain.score_inputs import ActivityTotals, CaptureObservation, PipelineTotals, RepInputs
from services.scoring.domain.tenant_settings import TenantSettings

Statement: TypeAlias = tuple[str, tuple[Any, ...]]
LOOKBACK_DAYS = 90  # how far back the last captured item is looked for
MIN_TREND_WEEKS = 4  # classification compares the last four weeks
MAX_TREND_WEEKS = 13  # a quarter: the trend reaches the 90-day mark of a go-live
_SUMS = (
    "items_synced", "emails_sent", "emails_received", "meetings", "external_matched", "logs_entered",
    "logs_within_24h", "logs_late_48h", "logged_meetings", "written_back",
)  # fmt: skip


@dataclass(frozen=True)
class _Bucket:
    prefix: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _totals_sql(bucket: _Bucket, n: int) -> str:
    """Aggregates of one period; the period's bounds are parameters $n and $n+1."""
    # Only days the rep is judged on count (`counted`: see `_COUNTED_DAYS`); the last captured item is
    # capture's evidence and is taken from every day.
    p = bucket.prefix
    last_item = (
        f"max(day) FILTER (WHERE day BETWEEN ${n} AND ${n + 1} AND items_synced > 0) AS {p}last_item_day"
    )
    within = f"day BETWEEN ${n} AND ${n + 1} AND counted"
    parts = [
        last_item,
        f"count(*) FILTER (WHERE {within} AND logins > 0) AS {p}login_days",
        f"count(*) FILTER (WHERE {within} AND crm_writes > 0) AS {p}write_days",
        f"count(*) FILTER (WHERE {within} AND (logins > 0 OR crm_writes > 0)) AS {p}crm_use_days",
        f"coalesce(sum(logs_catch_up) FILTER (WHERE {within} AND logs_entered >= $3), 0) "
        f"AS {p}logs_catch_up_in_bursts",
    ]
    parts += [f"coalesce(sum({c}) FILTER (WHERE {within}), 0) AS {p}{c}" for c in _SUMS]
    return ",\n    ".join(parts)


def _buckets(as_of: date, settings: TenantSettings) -> list[_Bucket]:
    window = _Bucket("w_", as_of - timedelta(days=settings.window_days - 1), as_of)
    ghost = _Bucket("g_", as_of - timedelta(days=int(settings.threshold("ghost_days")) - 1), as_of)
    this_monday = monday_of(as_of)
    count = trend_weeks(as_of, settings)
    weeks = [
        _Bucket(
            f"k{i}_",
            this_monday - timedelta(days=7 * (count - 1 - i)),
            min(this_monday - timedelta(days=7 * (count - 1 - i) - 6), as_of),
        )
        for i in range(count)
    ]
    return [window, ghost, *weeks]


def trend_weeks(as_of: date, settings: TenantSettings) -> int:
    """How many calendar weeks the trend shows: every week since the go-live week, within bounds."""
    if settings.go_live is None or settings.go_live > as_of:
        return MIN_TREND_WEEKS
    since = (monday_of(as_of) - monday_of(settings.go_live)).days // 7 + 1
    return max(MIN_TREND_WEEKS, min(MAX_TREND_WEEKS, since))


_TOTALS_FIELDS = tuple(f.name for f in fields(ActivityTotals) if f.name != "days")
_COLUMNS_OF: dict[str, tuple[str, ...]] = {}


def _totals(row: asyncpg.Record | None, bucket: _Bucket, present: PresentDays) -> ActivityTotals:
    days = present(bucket.first, bucket.last)
    if row is None:
        return ActivityTotals(days=days)
    columns = _COLUMNS_OF.get(bucket.prefix)
    if columns is None:
        columns = _COLUMNS_OF[bucket.prefix] = tuple(bucket.prefix + name for name in _TOTALS_FIELDS)
    return ActivityTotals(days, *(int(row[c]) for c in columns))


PIPELINE = f"""
WITH open AS (
    SELECT r.owner_rep_id, r.amount, r.modified_at, r.close_date, r.next_step, r.next_step_date,
        EXISTS (SELECT 1 FROM opportunity_days d WHERE d.tenant_id = r.tenant_id
                AND d.opportunity_crm_id = r.crm_id AND d.day >= $2 AND d.activities > 0) AS fresh,
        (SELECT count(*) FROM unnest($4::text[]) f WHERE {REQUIRED_FIELD_FILLED}) AS filled
    FROM crm_records r
    WHERE r.tenant_id = $1 AND r.object_type = 'opportunity' AND NOT r.deleted AND NOT r.is_closed
      AND ($5::text[] IS NULL OR r.owner_rep_id = ANY($5))
)
SELECT owner_rep_id AS rep_id, count(*) AS open_opportunities,
    count(*) FILTER (WHERE fresh) AS with_recent_activity,
    count(*) FILTER (WHERE modified_at >= $6) AS modified_recently,
    count(*) FILTER (WHERE close_date >= $3) AS close_date_current,
    count(*) FILTER (WHERE btrim(next_step) <> '' AND (next_step_date IS NULL OR next_step_date >= $3))
        AS next_step_present,
    coalesce(sum(filled), 0) AS required_fields_filled,
    coalesce(sum(amount), 0) AS open_amount,
    coalesce(sum(amount) FILTER (WHERE NOT fresh), 0) AS open_amount_without_activity
FROM open GROUP BY owner_rep_id
"""

MEDIAN_HOURS_TO_LOG = """
SELECT rep_id, percentile_cont(0.5) WITHIN GROUP (
    ORDER BY extract(epoch FROM greatest(logged_at - occurred_at, interval '0')) / 3600) AS hours
FROM manual_logs
WHERE tenant_id = $1 AND source_activity_id = '' AND logged_at >= $2 AND logged_at < $3
  AND ($4::text[] IS NULL OR rep_id = ANY($4))
GROUP BY rep_id
"""

DUPLICATE_RECORDS = """
WITH live AS (
    SELECT object_type, crm_id, owner_rep_id, email, account_crm_id, name_key FROM crm_records
    WHERE tenant_id = $1 AND NOT deleted AND object_type IN ('account', 'contact')
),
shared_domain AS (
    SELECT account_crm_id AS crm_id FROM account_domains WHERE tenant_id = $1 AND domain IN (
        SELECT domain FROM account_domains WHERE tenant_id = $1 GROUP BY domain HAVING count(*) > 1)
),
duplicates AS (
    SELECT 'account' AS object_type, crm_id FROM shared_domain
    UNION SELECT object_type, crm_id FROM live WHERE object_type = 'account' AND name_key <> ''
        AND name_key IN (SELECT name_key FROM live WHERE object_type = 'account' AND name_key <> ''
                         GROUP BY name_key HAVING count(*) > 1)
    UNION SELECT object_type, crm_id FROM live WHERE object_type = 'contact' AND email <> ''
        AND email IN (SELECT email FROM live WHERE object_type = 'contact' AND email <> ''
                      GROUP BY email HAVING count(*) > 1)
    UNION SELECT object_type, crm_id FROM live WHERE object_type = 'contact' AND name_key <> ''
        AND (account_crm_id, name_key) IN (
            SELECT account_crm_id, name_key FROM live WHERE object_type = 'contact' AND name_key <> ''
            GROUP BY account_crm_id, name_key HAVING count(*) > 1)
)
SELECT l.owner_rep_id AS rep_id, count(*) AS owned,
    count(*) FILTER (WHERE d.crm_id IS NOT NULL) AS duplicates
FROM live l LEFT JOIN duplicates d ON d.object_type = l.object_type AND d.crm_id = l.crm_id
WHERE l.owner_rep_id <> '' AND ($2::text[] IS NULL OR l.owner_rep_id = ANY($2))
GROUP BY l.owner_rep_id
"""

UNKNOWN_CONTACTS = """
SELECT x.rep_id, count(*) AS unknown FROM (
    SELECT rep_id, address_key FROM activity_addresses
    WHERE tenant_id = $1 AND occurred_at >= $2 AND ($4::text[] IS NULL OR rep_id = ANY($4))
    GROUP BY rep_id, address_key HAVING count(*) >= $3
) x
WHERE NOT EXISTS (SELECT 1 FROM crm_records c WHERE c.tenant_id = $1 AND c.object_type = 'contact'
                  AND NOT c.deleted AND c.email = reverse(x.address_key))
GROUP BY x.rep_id
"""


async def fetch_all(db: Connection | Pool, statements: Sequence[Statement]) -> list[list[asyncpg.Record]]:
    """The rows of each statement. On a pool every statement gets its own connection and they run at
    once (PostgreSQL works on them in parallel, on other cores than this process); on one connection
    they run one after another. Each statement is its own snapshot either way, as before."""
    if isinstance(db, asyncpg.Pool):
        return list(await asyncio.gather(*(db.fetch(sql, *args) for sql, args in statements)))
    return [await db.fetch(sql, *args) for sql, args in statements]


# Capture's own word on each mailbox (migration 0005), read with the other inputs.
CAPTURE_REPORTS = """
SELECT rep_id, state, reason, since, reported_at, last_success_at, items_rejected, provider
FROM mailbox_health WHERE tenant_id = $1 AND ($2::text[] IS NULL OR rep_id = ANY($2))
"""


def capture_reports(rows: Sequence[asyncpg.Record]) -> dict[str, tuple[CaptureReport, ...]]:
    """Capture's latest report per mailbox, by rep."""
    by_rep: dict[str, list[CaptureReport]] = {}
    for r in rows:
        by_rep.setdefault(r["rep_id"], []).append(
            CaptureReport(
                r["state"], r["reason"], r["since"], r["reported_at"], r["last_success_at"],
                r["items_rejected"], r["provider"],
            )
        )  # fmt: skip
    return {rep: tuple(found) for rep, found in by_rep.items()}


def with_reports(inputs: RepInputs, reports: tuple[CaptureReport, ...]) -> RepInputs:
    """The rep's inputs with capture's reports; they are judged once the rescore says when it is
    (`CaptureObservation.checked_at`)."""
    if not reports:
        return inputs
    return dataclasses.replace(inputs, capture=dataclasses.replace(inputs.capture, reports=reports))


async def load_rep_inputs(
    db: Connection | Pool, settings: TenantSettings, *, as_of: date, reps: Collection[str] | None
) -> list[RepInputs]:
    """Inputs of `reps` (every rep known to the tenant when None), as of the end of `as_of`."""
    tenant = settings.tenant_id
    wanted = sorted(reps) if reps is not None else None
    buckets = _buckets(as_of, settings)
    select = ",\n    ".join(_totals_sql(b, 4 + 2 * i) for i, b in enumerate(buckets))
    bounds: list[date] = [d for b in buckets for d in (b.first, b.last)]
    lookback = min(as_of - timedelta(days=LOOKBACK_DAYS), buckets[2].first)
    fresh_from = as_of - timedelta(days=6)
    window_start = buckets[0].first
    day_totals = (
        f"SELECT rep_id, max(day) FILTER (WHERE items_synced > 0) AS last_item_day,\n    {select}\n"
        f"FROM {counted_days(last=4 + 2 * len(buckets), reps=5 + 2 * len(buckets))}\n"
        "GROUP BY rep_id"
    )
    starts = start_dates(settings)
    statements: list[Statement] = [
        (day_totals, (
            tenant, lookback, int(settings.threshold("bulk_burst_min_logs")), *bounds, as_of, wanted,
            *starts,
        )),
        (PIPELINE, (
            tenant, fresh_from, as_of, list(settings.required_opportunity_fields), wanted,
            day_start(fresh_from),
        )),
        (MEDIAN_HOURS_TO_LOG, (
            tenant, day_start(window_start), day_start(as_of + timedelta(days=1)), wanted,
        )),
        (DUPLICATE_RECORDS, (tenant, wanted)),
        (UNKNOWN_CONTACTS, (
            tenant, day_start(window_start), int(settings.threshold("unknown_contact_min_interactions")),
            wanted,
        )),
        (
            "SELECT rep_id, first_seen_day FROM reps "
            "WHERE tenant_id = $1 AND ($2::text[] IS NULL OR rep_id = ANY($2))",
            (tenant, wanted),
        ),
        (
            "SELECT rep_id, week_start, data_quality FROM rep_score_weeks "
            "WHERE tenant_id = $1 AND week_start >= $2 AND ($3::text[] IS NULL OR rep_id = ANY($3))",
            (tenant, buckets[2].first, wanted),
        ),
        (CAPTURE_REPORTS, (tenant, wanted)),
        (AWAY_DAYS, (tenant, lookback, as_of, wanted)),
    ]  # fmt: skip
    (
        day_rows, pipeline_rows, median_rows, duplicate_rows, unknown_rows, rep_rows, week_rows, report_rows,
        away_rows,
    ) = await fetch_all(db, statements)  # fmt: skip
    reports = capture_reports(report_rows)
    away = away_by_rep(away_rows)
    by_rep = {r["rep_id"]: r for r in day_rows}
    pipelines = {r["rep_id"]: r for r in pipeline_rows}
    medians = {r["rep_id"]: float(r["hours"]) for r in median_rows}
    duplicates = {r["rep_id"]: (r["owned"], r["duplicates"]) for r in duplicate_rows}
    unknown = {r["rep_id"]: r["unknown"] for r in unknown_rows}
    first_seen = {r["rep_id"]: r["first_seen_day"] for r in rep_rows}
    past_quality: dict[str, dict[date, float | None]] = {}
    for r in week_rows:
        past_quality.setdefault(r["rep_id"], {})[r["week_start"]] = r["data_quality"]
    # A mailbox capture reports on is someone's: named even when nothing of theirs flowed.
    everyone = (
        set(first_seen)
        | set(reports)
        | {m for t in settings.teams for m in (*t.member_rep_ids, t.manager_rep_id) if m}
    )
    scored = sorted(everyone if wanted is None else set(wanted) & (everyone | set(by_rep)))
    return [
        with_reports(
            _inputs(
                settings,
                rep,
                as_of,
                buckets,
                by_rep.get(rep),
                pipelines.get(rep),
                medians.get(rep),
                duplicates.get(rep, (0, 0)),
                unknown.get(rep, 0),
                first_seen.get(rep),
                past_quality.get(rep, {}),
                away.get(rep, frozenset()),
            ),
            reports.get(rep, ()),
        )
        for rep in scored
    ]


def _inputs(
    settings: TenantSettings,
    rep: str,
    as_of: date,
    buckets: list[_Bucket],
    days: asyncpg.Record | None,
    pipeline: asyncpg.Record | None,
    median: float | None,
    duplicates: tuple[int, int],
    unknown: int,
    first_seen: date | None,
    past_quality: dict[date, float | None],
    away: frozenset[date],
) -> RepInputs:
    start_date = settings.person(rep).start_date

    def present(first: date, last: date) -> int:
        return present_days(first, last, start_date=start_date, away=away)

    window, ghost, *weeks = buckets
    fields = len(settings.required_opportunity_fields)
    totals = PipelineTotals()
    if pipeline is not None:
        totals = PipelineTotals(
            open_opportunities=pipeline["open_opportunities"],
            with_recent_activity=pipeline["with_recent_activity"],
            modified_recently=pipeline["modified_recently"],
            close_date_current=pipeline["close_date_current"],
            next_step_present=pipeline["next_step_present"],
            required_fields_filled=int(pipeline["required_fields_filled"]),
            required_fields_possible=pipeline["open_opportunities"] * fields,
            open_amount=float(pipeline["open_amount"]),
            open_amount_without_activity=float(pipeline["open_amount_without_activity"]),
        )
    window_totals = _totals(days, window, present)
    return RepInputs(
        tenant_id=settings.tenant_id,
        rep_id=rep,
        team_id=settings.team_of(rep),
        as_of=as_of,
        first_seen=first_seen,
        window=window_totals,
        last_14_days=_totals(days, ghost, present),
        weeks=tuple((w.first, _totals(days, w, present)) for w in weeks),
        pipeline=totals,
        capture=CaptureObservation(days["last_item_day"] if days else None, window_totals.items_synced),
        median_hours_to_log=median,
        owned_records=duplicates[0],
        duplicate_records=duplicates[1],
        unknown_contacts=unknown,
        past_data_quality=past_quality,
        last_item_by_week=tuple(days[f"{w.prefix}last_item_day"] if days else None for w in weeks),
        away_days=away,
    )
