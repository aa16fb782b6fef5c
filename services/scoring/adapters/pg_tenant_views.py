"""`TenantFacts` and `TenantViewWriter` on PostgreSQL: the set-based queries behind team health,
diagnostics and the readiness report of one tenant, and the tables that keep the first two."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.pg_duplicates import duplicate_groups
from services.scoring.adapters.pg_rows import REQUIRED_FIELD_FILLED
from services.scoring.adapters.proto_mapping import diagnostic_proto, team_health_proto
from services.scoring.domain.diagnostics import Diagnostic
from services.scoring.domain.instants import day_start, is_business_day
from services.scoring.domain.team_health import ActivityStats
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.ports import DuplicateGroup, FieldGap, StageHistory, TeamHealthSnapshot

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


FIELD_GAPS = f"""
SELECT r.owner_rep_id AS rep_id, f AS field, count(*) AS open,
    count(*) FILTER (WHERE NOT {REQUIRED_FIELD_FILLED}) AS empty
FROM crm_records r CROSS JOIN unnest($2::text[]) AS f
WHERE r.tenant_id = $1 AND r.object_type = 'opportunity' AND NOT r.deleted AND NOT r.is_closed
GROUP BY r.owner_rep_id, f
"""


async def field_gaps(conn: Connection | Pool, settings: TenantSettings) -> list[FieldGap]:
    """(rep, required field, open opportunities, of which the field is empty) per owner."""
    if not settings.required_opportunity_fields:
        return []
    rows = await conn.fetch(FIELD_GAPS, settings.tenant_id, list(settings.required_opportunity_fields))
    return [FieldGap(r["rep_id"], r["field"], r["open"], r["empty"]) for r in rows]


async def open_by_stage(conn: Connection | Pool, tenant_id: str) -> list[tuple[str, str, int]]:
    rows = await conn.fetch(
        "SELECT owner_rep_id, stage, count(*) AS n FROM crm_records WHERE tenant_id = $1 "
        "AND object_type = 'opportunity' AND NOT deleted AND NOT is_closed GROUP BY owner_rep_id, stage",
        tenant_id,
    )
    return [(r["owner_rep_id"], r["stage"], r["n"]) for r in rows]


async def stage_histories(conn: Connection | Pool, tenant_id: str) -> list[StageHistory]:
    """(owner, current stage, lost, stages ever seen) of opportunities seen in at least two stages."""
    rows = await conn.fetch(
        "SELECT r.owner_rep_id, r.stage, r.is_closed AND NOT r.is_won AS lost, array_agg(s.stage) AS seen "
        "FROM crm_records r "
        "JOIN opportunity_stages s ON s.tenant_id = r.tenant_id AND s.opportunity_crm_id = r.crm_id "
        "WHERE r.tenant_id = $1 AND r.object_type = 'opportunity' AND NOT r.deleted "
        "GROUP BY r.crm_id, r.owner_rep_id, r.stage, r.is_closed, r.is_won HAVING count(*) >= 2",
        tenant_id,
    )
    return [StageHistory(r["owner_rep_id"], r["stage"], r["lost"], list(r["seen"])) for r in rows]


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


TEAM_HEALTH_SNAPSHOTS = (
    "SELECT team_id, day, payload FROM team_health_snapshots WHERE tenant_id = $1 AND day = ANY($2::date[])"
)


class PgTenantViews:
    """See `TenantFacts` and `TenantViewWriter`. Every read takes its own pool connection, so reads
    started together run at once (PostgreSQL works on them on other cores than this process)."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def activity_stats(
        self, tenant_id: str, groups: Mapping[str, Sequence[str]], days: Sequence[date]
    ) -> list[dict[str, ActivityStats]]:
        return list(await asyncio.gather(*(activity_stats(self._pool, tenant_id, groups, d) for d in days)))

    async def team_health_snapshots(
        self, tenant_id: str, days: Sequence[date]
    ) -> dict[tuple[str, date], scoring_pb2.TeamHealth]:
        rows = await self._pool.fetch(TEAM_HEALTH_SNAPSHOTS, tenant_id, list(days))
        return {(r["team_id"], r["day"]): scoring_pb2.TeamHealth.FromString(r["payload"]) for r in rows}

    async def field_gaps(self, settings: TenantSettings) -> list[FieldGap]:
        return await field_gaps(self._pool, settings)

    async def open_by_stage(self, tenant_id: str) -> list[tuple[str, str, int]]:
        return await open_by_stage(self._pool, tenant_id)

    async def stage_histories(self, tenant_id: str) -> list[StageHistory]:
        return await stage_histories(self._pool, tenant_id)

    async def unknown_addresses(self, settings: TenantSettings, since: date) -> list[tuple[str, str, int]]:
        return await unknown_addresses(self._pool, settings, since)

    async def duplicate_groups(self, tenant_id: str) -> list[DuplicateGroup]:
        return await duplicate_groups(self._pool, tenant_id)

    async def save_team_health(self, day: date, snapshots: Sequence[TeamHealthSnapshot]) -> None:
        messages = [team_health_proto(s) for s in snapshots]
        await self._pool.executemany(
            "INSERT INTO team_health_snapshots VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (tenant_id, team_id, day) DO UPDATE SET payload = EXCLUDED.payload",
            [(h.tenant_id, h.team_id, day, h.SerializeToString(deterministic=True)) for h in messages],
        )

    async def replace_diagnostics(
        self, tenant_id: str, diagnostics: Sequence[Diagnostic], computed_at: datetime
    ) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM diagnostics WHERE tenant_id = $1", tenant_id)
            await conn.executemany(
                "INSERT INTO diagnostics VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                [
                    (
                        d.tenant_id,
                        d.id,
                        d.team_id,
                        d.rep_id,
                        d.kind,
                        diagnostic_proto(d).SerializeToString(),
                        computed_at,
                    )
                    for d in diagnostics
                ],
            )
