"""Reads what the PostgreSQL store holds into the shape of `MemoryState.comparable()`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from groundtruth.crm.v1 import crm_pb2
from plumbing.db.pool import Pool
from services.scoring.adapters.pg_ingest_store import PgIngestTransaction
from services.scoring.adapters.pg_rows import ACTIVITY_STATE_COLUMNS, activity_state_from_row, record_from_row
from services.scoring.domain.aggregates import DAY_COLUMNS
from services.scoring.domain.crm_events import ConfigUpdate
from services.scoring.domain.ingest_plan import StoredConfig
from services.scoring.domain.instants import datetime_to_us


async def comparable_state(pool: Pool) -> dict[str, Any]:
    async with pool.acquire() as conn:
        tx = PgIngestTransaction(conn)
        records = {r.key: r for r in map(record_from_row, await conn.fetch("SELECT * FROM crm_records"))}
        configs = {
            r["tenant_id"]: StoredConfig(
                r["tenant_id"],
                (r["version"], r["version_event"]),
                ConfigUpdate(crm_pb2.TenantConfig.FromString(r["config"])),
            )
            for r in await conn.fetch("SELECT * FROM tenant_configs")
        }
        log_keys = [
            (r["tenant_id"], r["crm_activity_id"]) for r in await conn.fetch("SELECT * FROM manual_logs")
        ]
        forecast_keys = [
            (r["tenant_id"], r["rep_id"], r["period"]) for r in await conn.fetch("SELECT * FROM forecasts")
        ]
        activities = {
            r["id"]: activity_state_from_row(r)
            for r in await conn.fetch(f"SELECT {ACTIVITY_STATE_COLUMNS} FROM activities")
        }
        addresses = {
            (
                r["tenant_id"],
                r["address_key"][::-1],
                r["activity_id"],
                r["rep_id"],
                datetime_to_us(r["occurred_at"]),
            )
            for r in await conn.fetch("SELECT * FROM activity_addresses")
        }
        rep_days = {
            (r["tenant_id"], r["rep_id"], r["day"]): [r[c] for c in DAY_COLUMNS]
            for r in await conn.fetch("SELECT * FROM rep_days")
        }
        opportunity_days = {
            (r["tenant_id"], r["opportunity_crm_id"], r["rep_id"], r["day"]): r["activities"]
            for r in await conn.fetch("SELECT * FROM opportunity_days")
        }
        reps_seen = {
            (r["tenant_id"], r["rep_id"]): (r["first_seen_day"] - date(1970, 1, 1)).days
            for r in await conn.fetch("SELECT * FROM reps")
        }
        return {
            "configs": configs,
            "records": records,
            "stage_visits": {
                (r["tenant_id"], r["opportunity_crm_id"], r["stage"])
                for r in await conn.fetch("SELECT * FROM opportunity_stages")
            },
            "manual_logs": await tx.manual_logs(log_keys),
            "forecasts": await tx.forecasts(forecast_keys),
            "activities": {k: replace(v, feed_sequence=0) for k, v in activities.items()},
            "matched_but_not_fed": {
                k for k, v in activities.items() if v.match.matched and v.feed_sequence <= 0
            },
            "addresses": addresses,
            "rep_days": {k: v for k, v in rep_days.items() if any(v)},
            "opportunity_days": {k: v for k, v in opportunity_days.items() if v},
            "reps_seen": reps_seen,
            "view_days": {
                (r["tenant_id"], r["rep_id"], r["day"], r["kind"]): r["views"]
                for r in await conn.fetch("SELECT * FROM crm_view_days")
            },
            "processed": {
                (r["tenant_id"], r["event_id"]) for r in await conn.fetch("SELECT * FROM processed_events")
            },
        }


async def feed_positions(pool: Pool) -> dict[str, list[int]]:
    rows = await pool.fetch(
        "SELECT tenant_id, feed_sequence FROM activities WHERE feed_sequence > 0 ORDER BY 1, 2"
    )
    positions: dict[str, list[int]] = {}
    for r in rows:
        positions.setdefault(r["tenant_id"], []).append(r["feed_sequence"])
    return positions
