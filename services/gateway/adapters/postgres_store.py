"""The gateway's PostgreSQL state as the operations see it (`ports.Tenants`, `TenantStore`,
`LockedTenant`): the statements of `key_store.py` and `state_store.py`, each handle bound to one
tenant so that every statement it runs names that tenant."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date

from groundtruth.crm.v1 import crm_pb2
from plumbing.db.pool import Connection, Pool
from services.gateway.adapters import key_store, state_store
from services.gateway.adapters.state_store import IdempotencyScope
from services.gateway.domain.idempotency import ClaimResult, StoredAnswer
from services.gateway.domain.principal import Role
from services.gateway.domain.records import KeyRecord, TenantRecord


class PostgresTenants:
    """`ports.Tenants` on the pool; the pool's owner closes it."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def for_tenant(self, tenant_id: str) -> PostgresTenantStore:
        return PostgresTenantStore(self._pool, tenant_id)

    async def create_tenant(self, *, tenant_id: str, name: str) -> bool:
        return await key_store.create_tenant(self._pool, tenant_id=tenant_id, name=name)

    async def tenant_exists(self, tenant_id: str) -> bool:
        return await key_store.tenant_exists(self._pool, tenant_id)

    async def list_tenants(self) -> list[TenantRecord]:
        return await key_store.list_tenants(self._pool)


class PostgresTenantStore:
    """`ports.TenantStore` for one tenant; each method outside `locked()` runs on its own."""

    __slots__ = ("_pool", "_tenant_id")

    def __init__(self, pool: Pool, tenant_id: str) -> None:
        self._pool = pool
        self._tenant_id = tenant_id

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[LockedPostgresTenant]:
        async with self._pool.acquire() as conn, conn.transaction():
            exists = await key_store.lock_tenant(conn, self._tenant_id)
            yield LockedPostgresTenant(conn, self._tenant_id, exists=exists)

    async def current_config(self) -> crm_pb2.TenantConfig | None:
        return await state_store.current_config(self._pool, self._tenant_id)

    async def config_as_of(self, day: date) -> crm_pb2.TenantConfig | None:
        return await state_store.config_as_of(self._pool, self._tenant_id, day)

    async def configs_after(self, day: date, *, limit: int) -> list[tuple[crm_pb2.TenantConfig, date]]:
        return await state_store.configs_after(self._pool, self._tenant_id, day, limit=limit)

    async def list_keys(self) -> list[KeyRecord]:
        return await key_store.list_keys(self._pool, self._tenant_id)

    async def insert_key(
        self, *, key_id: str, name: str, role: Role, rep_id: str | None, secret_hash: bytes, created_by: str
    ) -> KeyRecord:
        return await key_store.insert_key(
            self._pool,
            key_id=key_id,
            tenant_id=self._tenant_id,
            name=name,
            role=role,
            rep_id=rep_id,
            secret_hash=secret_hash,
            created_by=created_by,
        )

    async def revoke_rep_keys(self, *, rep_id: str) -> list[str]:
        return await key_store.revoke_rep_keys(self._pool, tenant_id=self._tenant_id, rep_id=rep_id)

    async def acked_sequence(self, *, subscription: str) -> int:
        return await state_store.acked_sequence(
            self._pool, tenant_id=self._tenant_id, subscription=subscription
        )

    async def ack(self, *, subscription: str, sequence: int) -> int:
        return await state_store.ack(
            self._pool, tenant_id=self._tenant_id, subscription=subscription, sequence=sequence
        )

    async def claim_idempotency_key(
        self, *, operation: str, key: str, fingerprint: bytes, ttl_hours: int, lease_sec: float
    ) -> ClaimResult:
        return await state_store.claim_idempotency_key(
            self._pool,
            self._scope(operation, key),
            fingerprint=fingerprint,
            ttl_hours=ttl_hours,
            lease_sec=lease_sec,
        )

    async def complete_idempotency_key(self, *, operation: str, key: str, answer: StoredAnswer) -> None:
        await state_store.complete_idempotency_key(self._pool, self._scope(operation, key), answer)

    async def release_idempotency_key(self, *, operation: str, key: str) -> None:
        await state_store.release_idempotency_key(self._pool, self._scope(operation, key))

    def _scope(self, operation: str, key: str) -> IdempotencyScope:
        return IdempotencyScope(tenant_id=self._tenant_id, operation=operation, key=key)


class LockedPostgresTenant:
    """`ports.LockedTenant`: statements on the connection whose transaction holds the tenant's lock."""

    __slots__ = ("_conn", "_tenant_id", "exists")

    def __init__(self, conn: Connection, tenant_id: str, *, exists: bool) -> None:
        self._conn = conn
        self._tenant_id = tenant_id
        self.exists = exists

    async def current_config(self) -> crm_pb2.TenantConfig | None:
        return await state_store.current_config(self._conn, self._tenant_id)

    async def insert_config(self, config: crm_pb2.TenantConfig, *, created_by: str) -> None:
        await state_store.insert_config(
            self._conn, tenant_id=self._tenant_id, config=config, created_by=created_by
        )

    async def find_key(self, key_id: str) -> KeyRecord | None:
        # Keys are found by their globally unique id; another tenant's key is "no such key" here.
        record = await key_store.find_key(self._conn, key_id)
        return record if record is not None and record.tenant_id == self._tenant_id else None

    async def count_active_admin_keys(self) -> int:
        return await key_store.count_active_admin_keys(self._conn, self._tenant_id)

    async def revoke_key(self, key_id: str) -> KeyRecord | None:
        return await key_store.revoke_key(self._conn, tenant_id=self._tenant_id, key_id=key_id)
