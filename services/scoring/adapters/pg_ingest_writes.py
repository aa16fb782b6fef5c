"""Writes one batch's `WritePlan` on the caller's connection and transaction.

Bulk rows go through COPY into per-connection temporary staging tables and one set-based statement
each; small sets go as arrays. Times travel as microseconds and become timestamps in SQL.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from plumbing.db.pool import Connection
from services.scoring.adapters.pg_rows import (
    ACTIVITY_COLUMNS,
    ARRAY_SEPARATOR,
    NEW_ACTIVITY_STAGE_COLUMNS,
    RECORD_COLUMNS,
    activity_row,
    activity_stage_row,
    new_activity_stage_row,
    record_row,
    split_sql,
)
from services.scoring.domain.activities import ActivityRow
from services.scoring.domain.aggregates import DAY_COLUMNS
from services.scoring.domain.ingest_locks import LockScopeTooNarrow
from services.scoring.domain.instants import date_of_day_number, us_to_datetime
from services.scoring.domain.matching import encode_links
from services.scoring.domain.records import ObjectType
from services.scoring.ports import WritePlan

_log = logging.getLogger(__name__)
_US = "timestamptz 'epoch' + {} * interval '1 microsecond'"

STAGING = """
CREATE TEMP TABLE IF NOT EXISTS stage_activities (
    id text, tenant_id text, rep_id text, kind smallint, provider smallint, occurred_us bigint,
    modified_us bigint, event_id text, is_cancelled boolean, is_deletion boolean,
    counts_as_meeting boolean, is_external boolean, addresses text[], contact_crm_ids text[],
    account_crm_id text, opportunity_crm_id text, match_links text, feed_sequence bigint, payload bytea
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_new_activities (
    id text, tenant_id text, rep_id text, kind smallint, provider smallint, occurred_us bigint,
    modified_us bigint, event_id text, is_cancelled boolean, is_deletion boolean,
    counts_as_meeting boolean, is_external boolean, addresses text, address_keys text,
    contact_crm_ids text, account_crm_id text, opportunity_crm_id text, match_links text,
    feed_sequence bigint, payload bytea
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_addresses (
    tenant_id text, address_key text, activity_id text, rep_id text, occurred_us bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_records (LIKE crm_records) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_rep_days (LIKE rep_days) ON COMMIT DELETE ROWS;
"""
STAGE_ACTIVITY_COLUMNS = (
    "id", "tenant_id", "rep_id", "kind", "provider", "occurred_us", "modified_us", "event_id",
    "is_cancelled", "is_deletion", "counts_as_meeting", "is_external", "addresses", "contact_crm_ids",
    "account_crm_id", "opportunity_crm_id", "match_links", "feed_sequence", "payload",
)  # fmt: skip

# The planner only sends versions newer than the stored ones, under the tenant or rep lock; the WHERE
# keeps the rule in the database too, so no path can ever write an older version over a newer one.
UPSERT_ACTIVITIES = f"""
INSERT INTO activities (id, tenant_id, rep_id, kind, provider, occurred_at, source_modified_at, event_id,
    is_cancelled, is_deletion, counts_as_meeting, is_external, addresses, contact_crm_ids, account_crm_id,
    opportunity_crm_id, match_links, feed_sequence, payload)
SELECT id, tenant_id, rep_id, kind, provider, {_US.format("occurred_us")}, {_US.format("modified_us")},
    event_id, is_cancelled, is_deletion, counts_as_meeting, is_external, addresses, contact_crm_ids,
    account_crm_id, opportunity_crm_id, match_links, feed_sequence, payload
FROM stage_activities
ON CONFLICT (id) DO UPDATE SET
    rep_id = EXCLUDED.rep_id, kind = EXCLUDED.kind, occurred_at = EXCLUDED.occurred_at,
    source_modified_at = EXCLUDED.source_modified_at, event_id = EXCLUDED.event_id,
    is_cancelled = EXCLUDED.is_cancelled, is_deletion = EXCLUDED.is_deletion,
    counts_as_meeting = EXCLUDED.counts_as_meeting, is_external = EXCLUDED.is_external,
    addresses = EXCLUDED.addresses, contact_crm_ids = EXCLUDED.contact_crm_ids,
    account_crm_id = EXCLUDED.account_crm_id, opportunity_crm_id = EXCLUDED.opportunity_crm_id,
    match_links = EXCLUDED.match_links, feed_sequence = EXCLUDED.feed_sequence,
    payload = EXCLUDED.payload, stored_at = now()
WHERE (activities.source_modified_at, activities.event_id)
    < (EXCLUDED.source_modified_at, EXCLUDED.event_id)
"""

# New activities and their address index rows in one statement from one COPY: the lists arrive as
# joined texts (see `pg_rows.joined_text`) and the index keys come from the staged row, so Python
# builds no array and no row per address. Plain inserts: like a COPY into the tables, a row that
# exists already fails the statement (the caller's fallback).
INSERT_NEW_ACTIVITIES = f"""
WITH inserted AS (
    INSERT INTO activities (id, tenant_id, rep_id, kind, provider, occurred_at, source_modified_at,
        event_id, is_cancelled, is_deletion, counts_as_meeting, is_external, addresses, contact_crm_ids,
        account_crm_id, opportunity_crm_id, match_links, feed_sequence, payload)
    SELECT id, tenant_id, rep_id, kind, provider, {_US.format("occurred_us")}, {_US.format("modified_us")},
        event_id, is_cancelled, is_deletion, counts_as_meeting, is_external, {split_sql("addresses")},
        {split_sql("contact_crm_ids")}, account_crm_id, opportunity_crm_id, match_links, feed_sequence,
        payload
    FROM stage_new_activities
)
INSERT INTO activity_addresses (tenant_id, address_key, activity_id, rep_id, occurred_at)
SELECT s.tenant_id, k.address_key, s.id, s.rep_id, {_US.format("s.occurred_us")}
FROM stage_new_activities s CROSS JOIN LATERAL unnest({split_sql("s.address_keys")}) AS k(address_key)
"""

UPDATE_MATCHES = f"""
UPDATE activities a SET contact_crm_ids = {split_sql("m.contacts")}, account_crm_id = m.account,
    opportunity_crm_id = m.opportunity, match_links = m.links, feed_sequence = m.feed_sequence
FROM (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
        AS u(id, contacts, account, opportunity, links, feed_sequence)
) m
WHERE a.id = m.id
"""

INSERT_ADDRESSES = f"""
INSERT INTO activity_addresses (tenant_id, address_key, activity_id, rep_id, occurred_at)
SELECT tenant_id, address_key, activity_id, rep_id, {_US.format("occurred_us")} FROM stage_addresses
ON CONFLICT DO NOTHING
"""

UPSERT_RECORDS = f"""
INSERT INTO crm_records SELECT * FROM stage_records
ON CONFLICT (tenant_id, object_type, crm_id) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in RECORD_COLUMNS[3:])}
WHERE (crm_records.version_us, crm_records.version_event) < (EXCLUDED.version_us, EXCLUDED.version_event)
"""

# From COPY, not from array parameters: asyncpg checks every array element against the collection
# ABCs, which for 13 counter columns cost more than the rest of the statement. Ordered as the keys
# were sorted (the C collation is code point order), so concurrent batches lock rows in one order.
REP_DAY_COLUMNS = ("tenant_id", "rep_id", "day", *DAY_COLUMNS)
UPSERT_REP_DAYS = f"""
INSERT INTO rep_days ({", ".join(REP_DAY_COLUMNS)})
SELECT {", ".join(REP_DAY_COLUMNS)} FROM stage_rep_days
ORDER BY tenant_id COLLATE "C", rep_id COLLATE "C", day
ON CONFLICT (tenant_id, rep_id, day) DO UPDATE SET
    {", ".join(f"{c} = rep_days.{c} + EXCLUDED.{c}" for c in DAY_COLUMNS)}
"""


async def write_plan(conn: Connection, plan: WritePlan, *, rep_local: bool = False) -> None:
    """`rep_local`: the transaction holds rep keys, not the tenant; a concurrent insert of one of its
    rows (an id another rep's batch holds) then raises `LockScopeTooNarrow` instead of upserting."""
    await conn.execute(STAGING)
    if plan.processed_events:
        tenants, ids = zip(*plan.processed_events, strict=True)
        await conn.execute(
            "INSERT INTO processed_events (tenant_id, event_id) SELECT * FROM unnest($1::text[], $2::text[]) "
            "ON CONFLICT DO NOTHING",
            list(tenants),
            list(ids),
        )
    await _write_records(conn, plan)
    await _write_configs_logs_forecasts(conn, plan)
    await _write_activities(conn, plan, rep_local=rep_local)
    await _write_counters(conn, plan)
    await _write_view_days(conn, plan)
    await _write_reps(conn, plan)


async def _write_records(conn: Connection, plan: WritePlan) -> None:
    # Every version shows a stage the deal was in, even one older than the stored version.
    if plan.stage_visits:
        await _insert_triples(
            conn, "opportunity_stages (tenant_id, opportunity_crm_id, stage)", sorted(plan.stage_visits)
        )
    if not plan.records:
        return
    await conn.copy_records_to_table(
        "stage_records", records=[record_row(r) for r in plan.records], columns=RECORD_COLUMNS
    )
    await conn.execute(UPSERT_RECORDS)
    accounts = [r for r in plan.records if r.object_type is ObjectType.ACCOUNT]
    if accounts:
        await conn.execute(
            "DELETE FROM account_domains d USING unnest($1::text[], $2::text[]) AS k(t, a) "
            "WHERE d.tenant_id = k.t AND d.account_crm_id = k.a",
            [r.tenant_id for r in accounts],
            [r.crm_id for r in accounts],
        )
        domains = [(r.tenant_id, d, r.crm_id) for r in accounts if not r.deleted for d in r.domains]
        if domains:
            await _insert_triples(conn, "account_domains (tenant_id, domain, account_crm_id)", domains)


async def _insert_triples(conn: Connection, target: str, rows: Sequence[tuple[str, str, str]]) -> None:
    await conn.execute(
        f"INSERT INTO {target} SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) "
        "ON CONFLICT DO NOTHING",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
    )


async def _write_configs_logs_forecasts(conn: Connection, plan: WritePlan) -> None:
    for config in plan.configs:
        await conn.execute(
            "INSERT INTO tenant_configs (tenant_id, version, version_event, config) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (tenant_id) DO UPDATE SET version = EXCLUDED.version, "
            "version_event = EXCLUDED.version_event, config = EXCLUDED.config, updated_at = now() "
            "WHERE (tenant_configs.version, tenant_configs.version_event) "
            "< (EXCLUDED.version, EXCLUDED.version_event)",
            config.tenant_id,
            config.version[0],
            config.version[1],
            config.update.config.SerializeToString(deterministic=True),
        )
    if plan.manual_logs:
        await conn.executemany(
            "INSERT INTO manual_logs VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
            "ON CONFLICT (tenant_id, crm_activity_id) DO UPDATE SET rep_id = EXCLUDED.rep_id, "
            "version_us = EXCLUDED.version_us, version_event = EXCLUDED.version_event, kind = EXCLUDED.kind, "
            "occurred_at = EXCLUDED.occurred_at, logged_at = EXCLUDED.logged_at, "
            "related_crm_id = EXCLUDED.related_crm_id, related_object_type = EXCLUDED.related_object_type, "
            "source_activity_id = EXCLUDED.source_activity_id "
            "WHERE (manual_logs.version_us, manual_logs.version_event) "
            "< (EXCLUDED.version_us, EXCLUDED.version_event)",
            [
                (
                    m.tenant_id,
                    m.log.crm_activity_id,
                    m.rep_id,
                    m.version[0],
                    m.version[1],
                    m.log.kind,
                    us_to_datetime(m.log.occurred_us),
                    us_to_datetime(m.log.logged_us),
                    m.log.related_crm_id,
                    m.log.related_type.value if m.log.related_type else "",
                    m.log.source_activity_id,
                )
                for m in plan.manual_logs
            ],
        )
    if plan.forecasts:
        await conn.executemany(
            "INSERT INTO forecasts VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
            "ON CONFLICT (tenant_id, rep_id, period) DO UPDATE SET version_us = EXCLUDED.version_us, "
            "version_event = EXCLUDED.version_event, period_start = EXCLUDED.period_start, "
            "period_end = EXCLUDED.period_end, committed_amount = EXCLUDED.committed_amount, "
            "currency = EXCLUDED.currency, submitted_at = EXCLUDED.submitted_at "
            "WHERE (forecasts.version_us, forecasts.version_event) "
            "< (EXCLUDED.version_us, EXCLUDED.version_event)",
            [
                (
                    f.tenant_id,
                    f.rep_id,
                    f.submission.period,
                    f.version[0],
                    f.version[1],
                    f.submission.period_start,
                    f.submission.period_end,
                    f.submission.committed_amount,
                    f.submission.currency,
                    us_to_datetime(f.submission.submitted_us),
                )
                for f in plan.forecasts
            ],
        )


async def _write_activities(conn: Connection, plan: WritePlan, *, rep_local: bool) -> None:
    new = [r for r in plan.activities if r.id in plan.new_activity_ids]
    changed = [r for r in plan.activities if r.id not in plan.new_activity_ids]
    indexed = await _insert_new(conn, new, rep_local=rep_local) if new else set()
    if indexed is None:
        changed += new  # already stored (see `_insert_new`)
        indexed = set()
    if changed:
        await conn.copy_records_to_table(
            "stage_activities",
            records=[activity_stage_row(r) for r in changed],
            columns=STAGE_ACTIVITY_COLUMNS,
        )
        await conn.execute(UPSERT_ACTIVITIES)
    if plan.rematched:
        rows = plan.rematched
        await conn.execute(
            UPDATE_MATCHES,
            [r.id for r in rows],
            [ARRAY_SEPARATOR.join(r.match.contact_ids) for r in rows],
            [r.match.account_id for r in rows],
            [r.match.opportunity_id for r in rows],
            [encode_links(r.match.links) for r in rows],
            [r.feed_sequence for r in rows],
        )
    if plan.addresses_removed:
        removed = plan.addresses_removed
        await conn.execute(
            "DELETE FROM activity_addresses a "
            "USING unnest($1::text[], $2::text[], $3::text[]) AS k(t, key, id) "
            "WHERE a.tenant_id = k.t AND a.address_key = k.key AND a.activity_id = k.id",
            [e[0] for e in removed],
            [e[1][::-1] for e in removed],
            [e[2] for e in removed],
        )
    added = [e for e in plan.addresses_added if e[2] not in indexed] if indexed else plan.addresses_added
    if added:
        # Added only for activities whose addresses changed, after removing the old ones, under the
        # tenant or rep lock: they cannot exist yet, so COPY them straight in (as for new activities,
        # a savepoint as a safety net under the tenant lock; rep-local, a conflict rolls back).
        keyed = [(t, a[::-1], activity, rep, us) for t, a, activity, rep, us in added]
        try:
            async with contextlib.nullcontext() if rep_local else conn.transaction():
                await conn.copy_records_to_table(
                    "activity_addresses",
                    records=[
                        (t, key, activity, rep, us_to_datetime(us)) for t, key, activity, rep, us in keyed
                    ],
                )
        except asyncpg.UniqueViolationError as exc:
            if rep_local:
                raise LockScopeTooNarrow from exc
            _log.warning("activity addresses already stored; inserting the missing ones")
            await conn.copy_records_to_table("stage_addresses", records=keyed)
            await conn.execute(INSERT_ADDRESSES)


async def _insert_new(conn: Connection, new: list[ActivityRow], *, rep_local: bool) -> set[str] | None:
    """Insert activities the planner saw absent, with their address index rows; the ids whose index
    rows went in with them (the rest get theirs from the plan's `addresses_added`), None when none
    went in.

    Under the tenant or rep lock they cannot exist, so they go straight in. Should one exist all the
    same: rep-local, `LockScopeTooNarrow` (the transaction rolls back and the batch runs again under
    the tenant lock, so no savepoint is needed); under the tenant lock, a savepoint undoes the
    inserts and the caller upserts them instead, so nothing is lost."""
    staged: list[tuple[Any, ...]] = []
    odd: list[ActivityRow] = []  # lists that cannot travel joined: COPYed as arrays
    for row in new:
        stage_row = new_activity_stage_row(row)
        if stage_row is None:
            odd.append(row)
        else:
            staged.append(stage_row)
    try:
        async with contextlib.nullcontext() if rep_local else conn.transaction():
            if staged:
                await conn.copy_records_to_table(
                    "stage_new_activities", records=staged, columns=NEW_ACTIVITY_STAGE_COLUMNS
                )
                await conn.execute(INSERT_NEW_ACTIVITIES)
            if odd:
                await conn.copy_records_to_table(
                    "activities", records=[activity_row(r) for r in odd], columns=ACTIVITY_COLUMNS
                )
    except asyncpg.UniqueViolationError as exc:
        if rep_local:
            raise LockScopeTooNarrow from exc
        _log.warning("activities already stored; upserting instead", extra={"count": len(new)})
        return None
    return {r[0] for r in staged}


async def _write_counters(conn: Connection, plan: WritePlan) -> None:
    # Sorted: two transactions updating rows of the same reps lock them in one order.
    rep_days = [(*key, *counts) for key, counts in sorted(plan.deltas.nonzero_rep_days())]
    if rep_days:
        await conn.copy_records_to_table("stage_rep_days", records=rep_days, columns=REP_DAY_COLUMNS)
        await conn.execute(UPSERT_REP_DAYS)
    opportunity_days = sorted(plan.deltas.nonzero_opportunity_days())
    if opportunity_days:
        await conn.execute(
            "INSERT INTO opportunity_days "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::int[]) "
            "ON CONFLICT (tenant_id, opportunity_crm_id, rep_id, day) DO UPDATE SET "
            "activities = opportunity_days.activities + EXCLUDED.activities",
            [k[0] for k, _ in opportunity_days],
            [k[1] for k, _ in opportunity_days],
            [k[2] for k, _ in opportunity_days],
            [k[3] for k, _ in opportunity_days],
            [n for _, n in opportunity_days],
        )


async def _write_view_days(conn: Connection, plan: WritePlan) -> None:
    """Leadership signals per kind (migration 0009), added to the day's count like the counters."""
    if not plan.view_days:
        return
    keys = sorted(plan.view_days)
    await conn.execute(
        "INSERT INTO crm_view_days "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::int[]) "
        "ON CONFLICT (tenant_id, rep_id, day, kind) DO UPDATE SET "
        "views = crm_view_days.views + EXCLUDED.views",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [k[3] for k in keys],
        [plan.view_days[k] for k in keys],
    )


async def _write_reps(conn: Connection, plan: WritePlan) -> None:
    if plan.reps_seen:
        seen = sorted(plan.reps_seen.items())
        await conn.execute(
            "INSERT INTO reps SELECT * FROM unnest($1::text[], $2::text[], $3::date[]) "
            "ON CONFLICT (tenant_id, rep_id) DO UPDATE SET first_seen_day = EXCLUDED.first_seen_day "
            "WHERE EXCLUDED.first_seen_day < reps.first_seen_day",
            [r[0] for r, _ in seen],
            [r[1] for r, _ in seen],
            [date_of_day_number(day) for _, day in seen],
        )
    if plan.dirty_reps:
        dirty = sorted(r for r in plan.dirty_reps if r[1])
        await conn.execute(
            "INSERT INTO dirty_reps (tenant_id, rep_id, mark) "
            "SELECT t, r, nextval('dirty_marks') FROM unnest($1::text[], $2::text[]) AS k(t, r) "
            "ON CONFLICT (tenant_id, rep_id) DO UPDATE SET mark = EXCLUDED.mark",
            [r[0] for r in dirty],
            [r[1] for r in dirty],
        )
    for tenant in sorted(plan.rescore_tenants):
        await conn.execute(
            "INSERT INTO rescore_requests (tenant_id) VALUES ($1) "
            "ON CONFLICT (tenant_id) DO UPDATE SET requested_at = now()",
            tenant,
        )
