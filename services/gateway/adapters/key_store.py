"""SQL for tenants and API keys (schema `gateway`): one function per statement, on a connection or the
pool; the caller owns transactions (`postgres_store.py` for the operations, `admin/keys.py` for tools)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import asyncpg

from plumbing.db.pool import Connection, Pool
from services.gateway.domain.principal import Role
from services.gateway.domain.records import KeyRecord, TenantRecord

INSERT_TENANT = """
INSERT INTO tenants (tenant_id, name) VALUES ($1, $2) ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id
"""
SELECT_TENANTS = "SELECT tenant_id, name, created_at FROM tenants ORDER BY tenant_id"
TENANT_EXISTS = "SELECT true FROM tenants WHERE tenant_id = $1"
LOCK_TENANT = "SELECT tenant_id FROM tenants WHERE tenant_id = $1 FOR UPDATE"

_KEY_COLUMNS = (
    "key_id, tenant_id, name, role, rep_id, secret_hash, created_at, created_by, revoked_at, last_used_at"
)
INSERT_KEY = f"""
INSERT INTO api_keys (key_id, tenant_id, name, role, rep_id, secret_hash, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_KEY_COLUMNS}
"""
SELECT_KEY = f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_id = $1"
SELECT_TENANT_KEYS = f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, key_id"
REVOKE_KEY = f"""
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
WHERE tenant_id = $1 AND key_id = $2 RETURNING {_KEY_COLUMNS}
"""
REVOKE_REP_KEYS = """
UPDATE api_keys SET revoked_at = now()
WHERE tenant_id = $1 AND rep_id = $2 AND revoked_at IS NULL RETURNING key_id
"""
COUNT_ACTIVE_ADMINS = """
SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND role = 'admin' AND revoked_at IS NULL
"""
# One statement for every key touched since the last flush; never moves last_used_at backwards.
TOUCH_KEYS = """
UPDATE api_keys AS k SET last_used_at = t.used_at
FROM unnest($1::text[], $2::timestamptz[]) AS t(key_id, used_at)
WHERE k.key_id = t.key_id AND (k.last_used_at IS NULL OR k.last_used_at < t.used_at)
"""


def _key(row: asyncpg.Record) -> KeyRecord:
    return KeyRecord(
        key_id=row["key_id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        role=Role(row["role"]),
        rep_id=row["rep_id"],
        secret_hash=bytes(row["secret_hash"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


async def create_tenant(conn: Connection | Pool, *, tenant_id: str, name: str) -> bool:
    """False when the tenant already exists (it is left unchanged)."""
    return await conn.fetchval(INSERT_TENANT, tenant_id, name) is not None


async def tenant_exists(conn: Connection | Pool, tenant_id: str) -> bool:
    return bool(await conn.fetchval(TENANT_EXISTS, tenant_id))


async def list_tenants(conn: Connection | Pool) -> list[TenantRecord]:
    rows = await conn.fetch(SELECT_TENANTS)
    return [TenantRecord(r["tenant_id"], r["name"], r["created_at"]) for r in rows]


async def lock_tenant(conn: Connection, tenant_id: str) -> bool:
    """Serialize writers of one tenant's state until the transaction ends; False if it is unknown."""
    return await conn.fetchval(LOCK_TENANT, tenant_id) is not None


async def insert_key(
    conn: Connection | Pool,
    *,
    key_id: str,
    tenant_id: str,
    name: str,
    role: Role,
    rep_id: str | None,
    secret_hash: bytes,
    created_by: str,
) -> KeyRecord:
    row = await conn.fetchrow(
        INSERT_KEY, key_id, tenant_id, name, role.value, rep_id, secret_hash, created_by
    )
    assert row is not None  # INSERT ... RETURNING always returns the row
    return _key(row)


async def find_key(conn: Connection | Pool, key_id: str) -> KeyRecord | None:
    row = await conn.fetchrow(SELECT_KEY, key_id)
    return _key(row) if row is not None else None


async def list_keys(conn: Connection | Pool, tenant_id: str) -> list[KeyRecord]:
    return [_key(r) for r in await conn.fetch(SELECT_TENANT_KEYS, tenant_id)]


async def revoke_key(conn: Connection | Pool, *, tenant_id: str, key_id: str) -> KeyRecord | None:
    """Revoke (idempotently) a key of `tenant_id`; None when the tenant has no such key."""
    row = await conn.fetchrow(REVOKE_KEY, tenant_id, key_id)
    return _key(row) if row is not None else None


async def revoke_rep_keys(conn: Connection | Pool, *, tenant_id: str, rep_id: str) -> list[str]:
    return [r["key_id"] for r in await conn.fetch(REVOKE_REP_KEYS, tenant_id, rep_id)]


async def count_active_admin_keys(conn: Connection | Pool, tenant_id: str) -> int:
    return int(await conn.fetchval(COUNT_ACTIVE_ADMINS, tenant_id))


async def touch_keys(conn: Connection | Pool, used_at: Mapping[str, datetime]) -> None:
    if used_at:
        await conn.execute(TOUCH_KEYS, list(used_at), list(used_at.values()))
