"""`AdminStore` over asyncpg: the CaptureAdmin use cases' connections, mailboxes, policies and rep
exclusions in schema `capture`. Every query is scoped by tenant; every method is one transaction and
raises `StoreUnavailable` for a transient database failure (`translate_store_errors`)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from plumbing.db.pool import Pool
from services.capture.adapters.postgres.errors import translate_store_errors
from services.capture.adapters.postgres.rows import MAILBOX_COLUMNS, STATUS_COLUMNS, mailbox_from, status_from
from services.capture.domain.privacy import CaptureLevel
from services.capture.domain.status import MailboxStatus
from services.capture.ports import (
    MailboxAssignment,
    MailboxRef,
    NewConnection,
    StoredConnection,
    StoredRepExclusions,
    StoredTenantPolicy,
)

REGISTER_CONNECTION = """
INSERT INTO connections (connection_id, tenant_id, provider, directory_tenant_id, client_id, workspace_domain,
                         service_account_email, credential)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (connection_id) DO UPDATE SET
    directory_tenant_id = EXCLUDED.directory_tenant_id, client_id = EXCLUDED.client_id,
    workspace_domain = EXCLUDED.workspace_domain, service_account_email = EXCLUDED.service_account_email,
    credential = EXCLUDED.credential, updated_at = clock_timestamp()
WHERE connections.tenant_id = EXCLUDED.tenant_id AND connections.provider = EXCLUDED.provider
RETURNING *
"""
LIST_CONNECTIONS = "SELECT * FROM connections WHERE tenant_id = $1 ORDER BY created_at, connection_id"
GET_CONNECTION = "SELECT * FROM connections WHERE tenant_id = $1 AND connection_id = $2"
DELETE_CONNECTION = "DELETE FROM connections WHERE tenant_id = $1 AND connection_id = $2"
UPSERT_MAILBOXES = """
INSERT INTO mailboxes (tenant_id, connection_id, address, rep_id)
SELECT $1, $2, a, r FROM unnest($3::text[], $4::text[]) AS t(a, r)
ON CONFLICT (tenant_id, address) DO UPDATE SET
    connection_id = EXCLUDED.connection_id, rep_id = EXCLUDED.rep_id
RETURNING mailbox_id
"""
ENSURE_STATUS = """
INSERT INTO sync_status (mailbox_id) SELECT unnest($1::bigint[]) ON CONFLICT (mailbox_id) DO NOTHING
"""
REMOVE_MAILBOX = "DELETE FROM mailboxes WHERE tenant_id = $1 AND address = $2"
STATUSES = f"""
SELECT {MAILBOX_COLUMNS}, {STATUS_COLUMNS}
FROM mailboxes m JOIN connections c USING (connection_id) LEFT JOIN sync_status s USING (mailbox_id)
WHERE m.tenant_id = $1 AND ($2::text IS NULL OR m.address = $2)
  AND ($3::bigint[] IS NULL OR m.mailbox_id = ANY($3))
ORDER BY m.address
"""
GET_POLICY = "SELECT * FROM capture_policies WHERE tenant_id = $1"
SET_POLICY = """
INSERT INTO capture_policies
    (tenant_id, capture_level, internal_domains, excluded_addresses, excluded_domains)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (tenant_id) DO UPDATE SET
    capture_level = EXCLUDED.capture_level, internal_domains = EXCLUDED.internal_domains,
    excluded_addresses = EXCLUDED.excluded_addresses, excluded_domains = EXCLUDED.excluded_domains,
    updated_at = now()
RETURNING *
"""
GET_REP_EXCLUSIONS = "SELECT * FROM rep_exclusions WHERE tenant_id = $1 AND rep_id = $2"
SET_REP_EXCLUSIONS = """
INSERT INTO rep_exclusions (tenant_id, rep_id, excluded_addresses, excluded_domains) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, rep_id) DO UPDATE SET
    excluded_addresses = EXCLUDED.excluded_addresses, excluded_domains = EXCLUDED.excluded_domains,
    updated_at = now()
RETURNING *
"""
REP_MAILBOXES = "SELECT mailbox_id FROM mailboxes WHERE tenant_id = $1 AND rep_id = $2"
ERASE_REP_MAILBOXES = "DELETE FROM mailboxes WHERE tenant_id = $1 AND rep_id = $2"
ERASE_REP_EXCLUSIONS = "DELETE FROM rep_exclusions WHERE tenant_id = $1 AND rep_id = $2"


def _connection_from(row: asyncpg.Record) -> StoredConnection:
    return StoredConnection(
        connection_id=row["connection_id"],
        tenant_id=row["tenant_id"],
        provider=row["provider"],
        directory_tenant_id=row["directory_tenant_id"],
        client_id=row["client_id"],
        workspace_domain=row["workspace_domain"],
        service_account_email=row["service_account_email"],
        created_at=row["created_at"],
        has_credentials=bool(row["credential"]),
    )


def _policy_from(row: asyncpg.Record) -> StoredTenantPolicy:
    return StoredTenantPolicy(
        tenant_id=row["tenant_id"],
        capture_level=CaptureLevel(row["capture_level"]),
        internal_domains=list(row["internal_domains"]),
        excluded_addresses=list(row["excluded_addresses"]),
        excluded_domains=list(row["excluded_domains"]),
    )


def _exclusions_from(row: asyncpg.Record) -> StoredRepExclusions:
    return StoredRepExclusions(
        tenant_id=row["tenant_id"],
        rep_id=row["rep_id"],
        excluded_addresses=list(row["excluded_addresses"]),
        excluded_domains=list(row["excluded_domains"]),
    )


class PostgresAdminStore:
    """`AdminStore` (ports/admin_store.py) on capture's pool."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    @translate_store_errors
    async def register_connection(self, connection: NewConnection) -> StoredConnection | None:
        row = await self._pool.fetchrow(
            REGISTER_CONNECTION,
            connection.connection_id,
            connection.tenant_id,
            connection.provider,
            connection.directory_tenant_id,
            connection.client_id,
            connection.workspace_domain,
            connection.service_account_email,
            connection.sealed_credential,
        )
        return _connection_from(row) if row else None

    @translate_store_errors
    async def list_connections(self, *, tenant_id: str) -> list[StoredConnection]:
        return [_connection_from(r) for r in await self._pool.fetch(LIST_CONNECTIONS, tenant_id)]

    @translate_store_errors
    async def get_connection(self, *, tenant_id: str, connection_id: str) -> StoredConnection | None:
        row = await self._pool.fetchrow(GET_CONNECTION, tenant_id, connection_id)
        return _connection_from(row) if row else None

    @translate_store_errors
    async def delete_connection(self, *, tenant_id: str, connection_id: str) -> bool:
        return str(await self._pool.execute(DELETE_CONNECTION, tenant_id, connection_id)) != "DELETE 0"

    @translate_store_errors
    async def upsert_mailboxes(
        self, *, tenant_id: str, connection_id: str, assignments: Sequence[MailboxAssignment]
    ) -> list[int]:
        addresses = [a.address for a in assignments]
        reps = [a.rep_id for a in assignments]
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(UPSERT_MAILBOXES, tenant_id, connection_id, addresses, reps)
            ids = [r["mailbox_id"] for r in rows]
            await conn.execute(ENSURE_STATUS, ids)
        return ids

    @translate_store_errors
    async def remove_mailbox(self, *, tenant_id: str, address: str) -> bool:
        return str(await self._pool.execute(REMOVE_MAILBOX, tenant_id, address)) != "DELETE 0"

    @translate_store_errors
    async def erase_rep(self, *, tenant_id: str, rep_id: str) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            removed = len(await conn.fetch(REP_MAILBOXES, tenant_id, rep_id))
            await conn.execute(ERASE_REP_MAILBOXES, tenant_id, rep_id)
            await conn.execute(ERASE_REP_EXCLUSIONS, tenant_id, rep_id)
        return removed

    @translate_store_errors
    async def statuses(
        self, *, tenant_id: str, address: str | None = None, mailbox_ids: Sequence[int] | None = None
    ) -> list[tuple[MailboxRef, MailboxStatus]]:
        rows = await self._pool.fetch(
            STATUSES, tenant_id, address, list(mailbox_ids) if mailbox_ids is not None else None
        )
        return [(mailbox_from(r), status_from(r)) for r in rows]

    @translate_store_errors
    async def get_policy(self, *, tenant_id: str) -> StoredTenantPolicy | None:
        row = await self._pool.fetchrow(GET_POLICY, tenant_id)
        return _policy_from(row) if row else None

    @translate_store_errors
    async def set_policy(self, policy: StoredTenantPolicy) -> StoredTenantPolicy:
        row = await self._pool.fetchrow(
            SET_POLICY,
            policy.tenant_id,
            policy.capture_level.value,
            list(policy.internal_domains),
            list(policy.excluded_addresses),
            list(policy.excluded_domains),
        )
        assert row is not None  # an upsert with RETURNING always returns its row
        return _policy_from(row)

    @translate_store_errors
    async def get_rep_exclusions(self, *, tenant_id: str, rep_id: str) -> StoredRepExclusions | None:
        row = await self._pool.fetchrow(GET_REP_EXCLUSIONS, tenant_id, rep_id)
        return _exclusions_from(row) if row else None

    @translate_store_errors
    async def set_rep_exclusions(self, exclusions: StoredRepExclusions) -> StoredRepExclusions:
        row = await self._pool.fetchrow(
            SET_REP_EXCLUSIONS,
            exclusions.tenant_id,
            exclusions.rep_id,
            list(exclusions.excluded_addresses),
            list(exclusions.excluded_domains),
        )
        assert row is not None  # an upsert with RETURNING always returns its row
        return _exclusions_from(row)
