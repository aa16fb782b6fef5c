"""Tenants and API keys straight on the gateway's database, for code that holds a pool: the `admin`
commands, make run's sandbox and the tests. Each function is an operator use case
(`operations/tenants.py`) on `PostgresTenants(pool)`; the pool must be on the gateway's schema.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from plumbing.db.migrations import migrate
from plumbing.db.pool import Pool, create_pool
from services.gateway.adapters.postgres_store import PostgresTenants
from services.gateway.app import MIGRATIONS, SCHEMA
from services.gateway.domain.principal import Role
from services.gateway.operations import keys, tenants
from services.gateway.operations.keys import CreatedKey


@contextlib.asynccontextmanager
async def migrated_pool(database_url: str) -> AsyncIterator[Pool]:
    """A small pool on the gateway's schema, after applying its migrations (so a tenant can be
    created before the gateway ever ran); closed on exit."""
    await migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(database_url, schema=SCHEMA, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


async def create_tenant(pool: Pool, *, pepper: bytes, tenant_id: str, name: str) -> CreatedKey:
    """Create a tenant and its first admin key (`Conflict` when it exists)."""
    return await tenants.create_tenant(PostgresTenants(pool), pepper=pepper, tenant_id=tenant_id, name=name)


async def issue_key(
    pool: Pool,
    *,
    pepper: bytes,
    tenant_id: str,
    name: str,
    role: Role,
    rep_id: str | None,
    created_by: str,
) -> CreatedKey:
    """Issue a key for an existing tenant, recording `created_by` as who issued it."""
    return await keys.issue_key(
        PostgresTenants(pool).for_tenant(tenant_id),
        pepper=pepper,
        name=name,
        role=role,
        rep_id=rep_id,
        created_by=created_by,
    )
