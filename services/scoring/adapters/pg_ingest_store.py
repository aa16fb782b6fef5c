"""`IngestStore` on PostgreSQL: set-based reads for a whole batch, one transaction per batch.

Every read passes its keys as arrays, so it is one round trip whatever the batch size.
`write` is in `pg_ingest_writes`.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any

import asyncpg

from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.pg_away import write_away
from services.scoring.adapters.pg_ingest_writes import write_plan
from services.scoring.adapters.pg_rows import (
    ACTIVITY_STATE_COLUMNS,
    CONFIG_COLUMNS,
    MATCH_RECORD_COLUMNS,
    activity_state_from_row,
    joined_text,
    record_from_row,
    split_sql,
    stored_config_from_row,
)
from services.scoring.domain.activities import ActivityRow
from services.scoring.domain.away import AwayPeriod
from services.scoring.domain.crm_events import ForecastSubmission, ManualLog
from services.scoring.domain.ingest_locks import LockKey, LockScope, lock_budget
from services.scoring.domain.ingest_plan import (
    AccountTarget,
    RepRef,
    StoredConfig,
    StoredForecast,
    StoredManualLog,
    TenantKey,
)
from services.scoring.domain.instants import datetime_to_us, day_start_us, us_to_datetime
from services.scoring.domain.records import CrmRecord, ObjectType, RecordKey
from services.scoring.ports import AccountRecords, WritePlan

_TENANT_PAIRS = "unnest({}) AS k(tenant_id, value)"
KEYED_LOOKUPS_ONLY = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
# Ends each per-key subquery: OFFSET 0 keeps PostgreSQL from flattening it into a join, so it runs
# once per key as an index lookup whatever the (possibly stale) statistics say.
_PER_KEY = "OFFSET 0"
_MATCHED = MATCH_RECORD_COLUMNS


def tenant_lock_key(tenant_id: str) -> int:
    """A stable 64-bit advisory-lock key per tenant (the same in every process)."""
    return _lock_key(f"groundtruth-scoring:{tenant_id}")


def scoped_lock_key(key: LockKey) -> int:
    """A stable 64-bit advisory-lock key per rep or manual log of a tenant (see `ingest_locks`)."""
    return _lock_key(f"groundtruth-scoring-rep:{key[0]}\x00{key[1]}")


def _lock_key(text: str) -> int:
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


LOCK_SETTINGS = (
    "SELECT current_setting('max_locks_per_transaction')::int, current_setting('max_connections')::int, "
    "current_setting('max_prepared_transactions')::int"
)


def _pairs(keys: Collection[tuple[str, str]]) -> tuple[list[str], list[str]]:
    ordered = sorted(keys)
    return [k[0] for k in ordered], [k[1] for k in ordered]


def _key_lists(*columns: Sequence[str]) -> tuple[str, list[Any]]:
    """`unnest` arguments ($1, $2, ...) for parallel key columns, and their parameters: each column
    as one joined text split in SQL (asyncpg encodes a text[] parameter element by element, several
    times the cost), or as text[] when a column cannot travel joined (see `joined_text`)."""
    joined = [joined_text(column) for column in columns]
    if all(text is not None for text in joined):
        split = ", ".join(split_sql(f"${i}::text") for i in range(1, len(columns) + 1))
        return split, joined
    return ", ".join(f"${i}::text[]" for i in range(1, len(columns) + 1)), [list(c) for c in columns]


def _tenant_pairs(keys: Collection[tuple[str, str]]) -> tuple[str, list[Any]]:
    """`_TENANT_PAIRS` for `keys`, sorted, and its parameters ($1, $2)."""
    columns, args = _key_lists(*_pairs(keys))
    return _TENANT_PAIRS.format(columns), args


def reversed_address(address: str) -> str:
    return address[::-1]


class PgIngestTransaction:
    """One ingest transaction on one connection; see `IngestTransaction` for the contract."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._rep_local = False

    async def lock_tenants(self, tenant_ids: Collection[str]) -> None:
        """The tenants exclusively (erasure takes this too)."""
        await self.lock(LockScope(tuple(tenant_ids), exclusive=True))

    async def lock(self, scope: LockScope) -> None:
        # Every transaction takes its tenant locks first, then its rep keys, each sorted: locks are
        # always taken in one global order, so two transactions never wait on each other in a cycle.
        tenants = sorted({tenant_lock_key(t) for t in scope.tenants})
        if scope.exclusive:
            await self._conn.execute(
                "SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) k", tenants
            )
            return
        self._rep_local = True
        await self._conn.execute(
            "SELECT count(pg_advisory_xact_lock_shared(k)) FROM unnest($1::bigint[]) k", tenants
        )
        keys = sorted({scoped_lock_key(k) for k in scope.keys})
        await self._conn.execute("SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) k", keys)

    async def configs(self, tenant_ids: Collection[str]) -> dict[str, StoredConfig]:
        rows = await self._conn.fetch(
            f"SELECT {CONFIG_COLUMNS} FROM tenant_configs WHERE tenant_id = ANY($1)", list(tenant_ids)
        )
        return {r["tenant_id"]: stored_config_from_row(r) for r in rows}

    async def erasures(self, reps: Collection[RepRef]) -> dict[RepRef, int]:
        if not reps:
            return {}
        pairs, args = _tenant_pairs(reps)
        rows = await self._conn.fetch(
            f"SELECT e.* FROM {pairs} CROSS JOIN LATERAL (SELECT * FROM erasures x "
            f"WHERE x.tenant_id = k.tenant_id AND x.rep_id = k.value {_PER_KEY}) e",
            *args,
        )
        return {(r["tenant_id"], r["rep_id"]): datetime_to_us(r["erased_at"]) for r in rows}

    async def unprocessed(self, events: Collection[TenantKey]) -> set[TenantKey]:
        if not events:
            return set()
        pairs, args = _tenant_pairs(events)
        rows = await self._conn.fetch(
            f"SELECT k.tenant_id, k.value FROM {pairs} LEFT JOIN LATERAL (SELECT true AS seen "
            f"FROM processed_events p WHERE p.tenant_id = k.tenant_id AND p.event_id = k.value {_PER_KEY}) x "
            "ON true WHERE x.seen IS NULL",
            *args,
        )
        return {(r["tenant_id"], r["value"]) for r in rows}

    async def records(self, keys: Collection[RecordKey]) -> dict[RecordKey, CrmRecord]:
        if not keys:
            return {}
        ordered = sorted(keys)
        rows = await self._conn.fetch(
            "SELECT r.* FROM unnest($1::text[], $2::text[], $3::text[]) AS k(t, o, c) CROSS JOIN LATERAL "
            "(SELECT * FROM crm_records x WHERE x.tenant_id = k.t AND x.object_type = k.o AND x.crm_id = k.c "
            f"{_PER_KEY}) r",
            [k[0] for k in ordered],
            [k[1].value for k in ordered],
            [k[2] for k in ordered],
        )
        found = (record_from_row(r) for r in rows)
        return {r.key: r for r in found}

    async def manual_logs(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], StoredManualLog]:
        if not keys:
            return {}
        pairs, args = _tenant_pairs(keys)
        rows = await self._conn.fetch(
            f"SELECT m.* FROM {pairs} CROSS JOIN LATERAL (SELECT * FROM manual_logs x "
            f"WHERE x.tenant_id = k.tenant_id AND x.crm_activity_id = k.value {_PER_KEY}) m",
            *args,
        )
        return {(r["tenant_id"], r["crm_activity_id"]): _manual_log(r) for r in rows}

    async def forecasts(
        self, keys: Collection[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], StoredForecast]:
        if not keys:
            return {}
        ordered = sorted(keys)
        rows = await self._conn.fetch(
            "SELECT f.* FROM unnest($1::text[], $2::text[], $3::text[]) AS k(t, r, p) CROSS JOIN LATERAL "
            "(SELECT * FROM forecasts x WHERE x.tenant_id = k.t AND x.rep_id = k.r AND x.period = k.p "
            f"{_PER_KEY}) f",
            [k[0] for k in ordered],
            [k[1] for k in ordered],
            [k[2] for k in ordered],
        )
        found = [_forecast(r) for r in rows]
        return {f.key: f for f in found}

    async def activities(self, ids: Collection[str], *, with_payload: bool) -> dict[str, ActivityRow]:
        if not ids:
            return {}
        columns = ACTIVITY_STATE_COLUMNS + (", payload" if with_payload else "")
        keys, args = _key_lists(ids if isinstance(ids, list) else list(ids))
        rows = await self._conn.fetch(
            f"SELECT a.* FROM unnest({keys}) AS k(id) CROSS JOIN LATERAL "
            f"(SELECT {columns} FROM activities x WHERE x.id = k.id {_PER_KEY}) a",
            *args,
        )
        return {
            r["id"]: activity_state_from_row(r, payload=r["payload"] if with_payload else None) for r in rows
        }

    async def activities_with_addresses(
        self, emails: Collection[TenantKey], domains: Collection[TenantKey], *, since_us: int
    ) -> set[str]:
        found: set[str] = set()
        since = us_to_datetime(since_us)
        if emails:
            tenants, values = _pairs(emails)
            rows = await self._conn.fetch(
                "SELECT a.activity_id FROM unnest($1::text[], $2::text[]) AS k(t, key) CROSS JOIN LATERAL "
                "(SELECT activity_id FROM activity_addresses x WHERE x.tenant_id = k.t "
                f"AND x.address_key = k.key AND x.occurred_at >= $3 {_PER_KEY}) a",
                tenants,
                [reversed_address(v) for v in values],
                since,
            )
            found |= {r["activity_id"] for r in rows}
        if domains:
            tenants, values = _pairs(domains)
            # Every address at the domain: reversed, they share the prefix "<niamod>@", and in the C
            # collation they sort between that prefix and the same with "@" replaced by "A".
            rows = await self._conn.fetch(
                "SELECT a.activity_id FROM unnest($1::text[], $2::text[], $3::text[]) AS k(t, low, high) "
                "CROSS JOIN LATERAL (SELECT activity_id FROM activity_addresses x WHERE x.tenant_id = k.t "
                "AND x.address_key >= k.low AND x.address_key < k.high AND x.occurred_at >= $4 "
                f"{_PER_KEY}) a",
                tenants,
                [reversed_address(v) + "@" for v in values],
                [reversed_address(v) + "A" for v in values],
                since,
            )
            found |= {r["activity_id"] for r in rows}
        return found

    async def activities_on_accounts(self, targets: Collection[AccountTarget], *, since_us: int) -> set[str]:
        if not targets:
            return set()
        ordered = sorted(targets)
        rows = await self._conn.fetch(
            "SELECT a.id FROM unnest($1::text[], $2::text[], $3::text[]) AS k(t, account, rep) "
            "CROSS JOIN LATERAL (SELECT id FROM activities x WHERE x.tenant_id = k.t "
            "AND x.account_crm_id = k.account AND (k.rep = '' OR x.rep_id = k.rep) "
            f"AND x.account_crm_id <> '' AND x.occurred_at >= $4 {_PER_KEY}) a",
            [k[0] for k in ordered],
            [k[1] for k in ordered],
            [k[2] for k in ordered],
            us_to_datetime(since_us),
        )
        return {r["id"] for r in rows}

    async def lookup_records(
        self, emails: Collection[TenantKey], domains: Collection[TenantKey]
    ) -> list[CrmRecord]:
        found: list[CrmRecord] = []
        if emails:
            pairs, args = _tenant_pairs(emails)
            rows = await self._conn.fetch(
                f"SELECT r.* FROM {pairs} CROSS JOIN LATERAL (SELECT {_MATCHED} FROM crm_records x "
                "WHERE x.tenant_id = k.tenant_id AND x.email = k.value AND x.object_type = 'contact' "
                f"AND NOT x.deleted {_PER_KEY}) r",
                *args,
            )
            found += [record_from_row(r, with_fields=False) for r in rows]
        if domains:
            pairs, args = _tenant_pairs(domains)
            rows = await self._conn.fetch(
                "SELECT r.* FROM (SELECT DISTINCT d.tenant_id, d.account_crm_id "
                f"FROM {pairs} CROSS JOIN LATERAL "
                "(SELECT tenant_id, account_crm_id FROM account_domains x "
                f"WHERE x.tenant_id = k.tenant_id AND x.domain = k.value {_PER_KEY}) d) a "
                f"CROSS JOIN LATERAL (SELECT {_MATCHED} FROM crm_records y WHERE y.tenant_id = a.tenant_id "
                "AND y.object_type = 'account' AND y.crm_id = a.account_crm_id AND NOT y.deleted "
                f"{_PER_KEY}) r",
                *args,
            )
            found += [record_from_row(r, with_fields=False) for r in rows]
        return found

    async def account_records(self, accounts: Collection[TenantKey]) -> AccountRecords:
        if not accounts:
            return AccountRecords([], {})
        pairs, args = _tenant_pairs(accounts)
        rows = await self._conn.fetch(
            f"SELECT r.* FROM {pairs} CROSS JOIN LATERAL (SELECT {_MATCHED} FROM crm_records x "
            "WHERE x.tenant_id = k.tenant_id AND x.object_type = 'account' AND x.crm_id = k.value "
            f"{_PER_KEY}) r UNION ALL "
            f"SELECT r.* FROM {pairs} CROSS JOIN LATERAL (SELECT {_MATCHED} FROM crm_records x "
            "WHERE x.tenant_id = k.tenant_id AND x.object_type = 'opportunity' "
            f"AND x.account_crm_id = k.value AND NOT x.deleted {_PER_KEY}) r",
            *args,
        )
        records = [record_from_row(r, with_fields=False) for r in rows]
        opportunities = [(r.tenant_id, r.crm_id) for r in records if r.object_type is ObjectType.OPPORTUNITY]
        last: dict[tuple[str, str], int] = {}
        if opportunities:
            pairs, args = _tenant_pairs(opportunities)
            latest = await self._conn.fetch(
                f"SELECT k.tenant_id, k.value AS opportunity_crm_id, d.day FROM {pairs} "
                "CROSS JOIN LATERAL (SELECT max(x.day) AS day FROM opportunity_days x "
                "WHERE x.tenant_id = k.tenant_id AND x.opportunity_crm_id = k.value AND x.activities > 0) d "
                "WHERE d.day IS NOT NULL",
                *args,
            )
            last = {(r["tenant_id"], r["opportunity_crm_id"]): day_start_us(r["day"]) for r in latest}
        return AccountRecords(records, last)

    async def allocate_feed(self, tenant_id: str, count: int) -> int:
        last = await self._conn.fetchval(
            "INSERT INTO feed_positions (tenant_id, last_sequence) VALUES ($1, $2) "
            "ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = feed_positions.last_sequence + $2 "
            "RETURNING last_sequence",
            tenant_id,
            count,
        )
        return int(last) - count + 1

    async def write(self, plan: WritePlan) -> None:
        await write_plan(self._conn, plan, rep_local=self._rep_local)

    async def write_away(
        self, periods: Sequence[AwayPeriod], *, no_longer_away: Sequence[AwayPeriod]
    ) -> set[RepRef]:
        return await write_away(self._conn, periods, no_longer_away)


class PgIngestStore:
    """Hands out one transaction at a time per call; the caller's batch commits when the block exits."""

    def __init__(self, pool: Pool, *, lock_budget: int | None = None) -> None:
        self._pool = pool
        self._lock_budget = lock_budget

    async def lock_budget(self) -> int:
        """A share of the server's lock table, read once (`lock_budget` given: that, for tests)."""
        if self._lock_budget is None:
            row = await self._pool.fetchrow(LOCK_SETTINGS)
            assert row is not None
            self._lock_budget = lock_budget(row[0], row[1], row[2])
        return self._lock_budget

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgIngestTransaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            # Every read here starts from the batch's keys and looks them up in an index. Tables grow
            # from empty, so their statistics lag; without this the planner picks hash or merge joins
            # that scan whole tables (seconds per batch once they hold millions of rows).
            await conn.execute(KEYED_LOOKUPS_ONLY)
            yield PgIngestTransaction(conn)


def _manual_log(row: asyncpg.Record) -> StoredManualLog:
    related = row["related_object_type"]
    return StoredManualLog(
        row["tenant_id"],
        row["rep_id"],
        (row["version_us"], row["version_event"]),
        ManualLog(
            crm_activity_id=row["crm_activity_id"],
            kind=row["kind"],
            occurred_us=datetime_to_us(row["occurred_at"]),
            logged_us=datetime_to_us(row["logged_at"]),
            related_crm_id=row["related_crm_id"],
            related_type=ObjectType(related) if related else None,
            source_activity_id=row["source_activity_id"],
        ),
    )


def _forecast(row: asyncpg.Record) -> StoredForecast:
    return StoredForecast(
        row["tenant_id"],
        row["rep_id"],
        (row["version_us"], row["version_event"]),
        ForecastSubmission(
            period=row["period"],
            period_start=row["period_start"],
            period_end=row["period_end"],
            committed_amount=row["committed_amount"],
            currency=row["currency"],
            submitted_us=datetime_to_us(row["submitted_at"]),
        ),
    )
