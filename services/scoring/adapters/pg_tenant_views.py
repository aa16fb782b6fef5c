"""Set-based queries behind team health, diagnostics and the readiness report of one tenant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.pg_rows import record_from_row
from services.scoring.domain.instants import day_start, is_business_day
from services.scoring.domain.records import CrmRecord
from services.scoring.domain.team_health import ActivityStats
from services.scoring.domain.tenant_settings import TenantSettings

ACTIVE_DAYS = """
SELECT m.grp, d.day, count(DISTINCT d.rep_id) AS active
FROM rep_days d JOIN unnest($2::text[], $3::text[]) AS m(rep_id, grp) ON m.rep_id = d.rep_id
WHERE d.tenant_id = $1 AND d.day BETWEEN $4 AND $5 AND (d.logins > 0 OR d.crm_writes > 0)
GROUP BY m.grp, d.day
"""
ACTIVE_REPS = """
SELECT m.grp, count(DISTINCT d.rep_id) FILTER (WHERE d.day >= $6) AS last_7,
       count(DISTINCT d.rep_id) AS last_28
FROM rep_days d JOIN unnest($2::text[], $3::text[]) AS m(rep_id, grp) ON m.rep_id = d.rep_id
WHERE d.tenant_id = $1 AND d.day BETWEEN $4 AND $5 AND (d.logins > 0 OR d.crm_writes > 0)
GROUP BY m.grp
"""


async def activity_stats(
    conn: Connection | Pool, tenant_id: str, groups: Mapping[str, Sequence[str]], as_of: date
) -> dict[str, ActivityStats]:
    """CRM use of each group of reps over the 28 days ending on `as_of`."""
    reps = [rep for members in groups.values() for rep in members]
    names = [name for name, members in groups.items() for _ in members]
    first, last_week = as_of - timedelta(days=27), as_of - timedelta(days=6)
    daily: dict[str, dict[date, int]] = {}
    for r in await conn.fetch(ACTIVE_DAYS, tenant_id, reps, names, first, as_of):
        daily.setdefault(r["grp"], {})[r["day"]] = r["active"]
    totals = {
        r["grp"]: (r["last_7"], r["last_28"])
        for r in await conn.fetch(ACTIVE_REPS, tenant_id, reps, names, first, as_of, last_week)
    }
    business_days = [
        first + timedelta(days=i) for i in range(28) if is_business_day(first + timedelta(days=i))
    ]
    return {
        name: ActivityStats(
            members=len(set(members)),
            active_last_7_days=totals.get(name, (0, 0))[0],
            active_last_28_days=totals.get(name, (0, 0))[1],
            daily_active_business_days=tuple(daily.get(name, {}).get(d, 0) for d in business_days),
        )
        for name, members in groups.items()
    }


FIELD_GAPS = """
SELECT r.owner_rep_id AS rep_id, f AS field, count(*) AS open,
    count(*) FILTER (WHERE NOT CASE
        WHEN r.fields ? f THEN btrim(r.fields ->> f) <> ''
        WHEN f = 'NextStep' THEN btrim(r.next_step) <> ''
        WHEN f = 'CloseDate' THEN r.close_date IS NOT NULL
        WHEN f = 'Amount' THEN r.amount <> 0
        WHEN f = 'StageName' THEN btrim(r.stage) <> ''
        ELSE false END) AS empty
FROM crm_records r CROSS JOIN unnest($2::text[]) AS f
WHERE r.tenant_id = $1 AND r.object_type = 'opportunity' AND NOT r.deleted AND NOT r.is_closed
GROUP BY r.owner_rep_id, f
"""


async def field_gaps(conn: Connection | Pool, settings: TenantSettings) -> list[tuple[str, str, int, int]]:
    """(rep, required field, open opportunities, of which the field is empty) per owner."""
    if not settings.required_opportunity_fields:
        return []
    rows = await conn.fetch(FIELD_GAPS, settings.tenant_id, list(settings.required_opportunity_fields))
    return [(r["rep_id"], r["field"], r["open"], r["empty"]) for r in rows]


async def open_by_stage(conn: Connection | Pool, tenant_id: str) -> list[tuple[str, str, int]]:
    rows = await conn.fetch(
        "SELECT owner_rep_id, stage, count(*) AS n FROM crm_records WHERE tenant_id = $1 "
        "AND object_type = 'opportunity' AND NOT deleted AND NOT is_closed GROUP BY owner_rep_id, stage",
        tenant_id,
    )
    return [(r["owner_rep_id"], r["stage"], r["n"]) for r in rows]


async def stage_histories(conn: Connection | Pool, tenant_id: str) -> list[tuple[str, str, bool, list[str]]]:
    """(owner, current stage, lost, stages ever seen) of opportunities seen in at least two stages."""
    rows = await conn.fetch(
        "SELECT r.owner_rep_id, r.stage, r.is_closed AND NOT r.is_won AS lost, array_agg(s.stage) AS seen "
        "FROM crm_records r "
        "JOIN opportunity_stages s ON s.tenant_id = r.tenant_id AND s.opportunity_crm_id = r.crm_id "
        "WHERE r.tenant_id = $1 AND r.object_type = 'opportunity' AND NOT r.deleted "
        "GROUP BY r.crm_id, r.owner_rep_id, r.stage, r.is_closed, r.is_won HAVING count(*) >= 2",
        tenant_id,
    )
    return [(r["owner_rep_id"], r["stage"], r["lost"], list(r["seen"])) for r in rows]


UNKNOWN_ADDRESSES = """
SELECT x.rep_id, reverse(x.address_key) AS address, x.n FROM (
    SELECT rep_id, address_key, count(*) AS n FROM activity_addresses
    WHERE tenant_id = $1 AND occurred_at >= $2 GROUP BY rep_id, address_key HAVING count(*) >= $3
) x
WHERE NOT EXISTS (SELECT 1 FROM crm_records c WHERE c.tenant_id = $1 AND c.object_type = 'contact'
                  AND NOT c.deleted AND c.email = reverse(x.address_key))
"""


async def unknown_addresses(
    conn: Connection | Pool, settings: TenantSettings, since: date
) -> list[tuple[str, str, int]]:
    """(rep, address, interactions) for external people met or written to often who are no contact."""
    rows = await conn.fetch(
        UNKNOWN_ADDRESSES,
        settings.tenant_id,
        day_start(since),
        int(settings.threshold("unknown_contact_min_interactions")),
    )
    return [
        (r["rep_id"], r["address"], r["n"]) for r in rows if not settings.is_internal_address(r["address"])
    ]


@dataclass(frozen=True)
class DuplicateGroup:
    object_type: str
    key: str
    reason: str
    records: list[CrmRecord]
    open_pipeline: float


DUPLICATE_GROUPS = """
WITH live AS (
    SELECT * FROM crm_records WHERE tenant_id = $1 AND NOT deleted AND object_type IN ('account', 'contact')
),
groups AS (
    SELECT 'account' AS object_type, 'domain ' || d.domain AS key, 'same web domain' AS reason,
           d.account_crm_id AS crm_id
    FROM account_domains d WHERE d.tenant_id = $1 AND d.domain IN (
        SELECT domain FROM account_domains WHERE tenant_id = $1 GROUP BY domain HAVING count(*) > 1)
    UNION ALL
    SELECT 'account', 'name ' || name_key, 'same name', crm_id FROM live
    WHERE object_type = 'account' AND name_key <> '' AND name_key IN (
        SELECT name_key FROM live WHERE object_type = 'account' AND name_key <> ''
        GROUP BY name_key HAVING count(*) > 1)
    UNION ALL
    SELECT 'contact', 'email ' || email, 'same e-mail address', crm_id FROM live
    WHERE object_type = 'contact' AND email <> '' AND email IN (
        SELECT email FROM live WHERE object_type = 'contact' AND email <> ''
        GROUP BY email HAVING count(*) > 1)
    UNION ALL
    SELECT 'contact', 'name ' || account_crm_id || ' ' || name_key, 'same name on the same account', crm_id
    FROM live WHERE object_type = 'contact' AND name_key <> '' AND (account_crm_id, name_key) IN (
        SELECT account_crm_id, name_key FROM live WHERE object_type = 'contact' AND name_key <> ''
        GROUP BY account_crm_id, name_key HAVING count(*) > 1)
)
SELECT g.object_type AS group_type, g.key, g.reason, l.*
FROM groups g JOIN live l ON l.object_type = g.object_type AND l.crm_id = g.crm_id
ORDER BY g.object_type, g.key, l.crm_id
"""

OPEN_PIPELINE_BY_ACCOUNT = """
SELECT account_crm_id, sum(amount) AS amount FROM crm_records
WHERE tenant_id = $1 AND object_type = 'opportunity' AND NOT deleted AND NOT is_closed
  AND account_crm_id = ANY($2::text[])
GROUP BY account_crm_id
"""


async def duplicate_groups(conn: Connection | Pool, tenant_id: str) -> list[DuplicateGroup]:
    """Probable duplicates, the groups with the most open pipeline (then the most records) first."""
    grouped: dict[tuple[str, str], DuplicateGroup] = {}
    for row in await conn.fetch(DUPLICATE_GROUPS, tenant_id):
        key = (row["group_type"], row["key"])
        group = grouped.get(key)
        if group is None:
            group = grouped[key] = DuplicateGroup(row["group_type"], row["key"], row["reason"], [], 0.0)
        group.records.append(record_from_row(row))
    accounts = {
        r.crm_id if r.object_type.value == "account" else r.account_crm_id
        for g in grouped.values()
        for r in g.records
    }
    pipeline = {
        r["account_crm_id"]: float(r["amount"])
        for r in await conn.fetch(OPEN_PIPELINE_BY_ACCOUNT, tenant_id, sorted(a for a in accounts if a))
    }
    # The same records can be duplicates for several reasons (same domain and same name): one group.
    merged: dict[tuple[str, tuple[str, ...]], DuplicateGroup] = {}
    for group in grouped.values():
        members = (group.object_type, tuple(r.crm_id for r in group.records))
        known = merged.get(members)
        if known is None:
            involved = {
                r.crm_id if r.object_type.value == "account" else r.account_crm_id for r in group.records
            }
            amount = sum(pipeline.get(a, 0.0) for a in involved)
            merged[members] = DuplicateGroup(
                group.object_type, group.key, group.reason, group.records, amount
            )
        else:
            merged[members] = DuplicateGroup(
                known.object_type,
                known.key,
                f"{known.reason}, {group.reason}",
                known.records,
                known.open_pipeline,
            )
    return sorted(merged.values(), key=lambda g: (-g.open_pipeline, -len(g.records), g.key))
