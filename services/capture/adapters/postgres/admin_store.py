"""Administration queries for the CaptureAdmin API. Every query is scoped by tenant; the caller owns
the transaction where one is needed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from plumbing.db.pool import Connection, Pool
from services.capture.adapters.postgres.rows import MAILBOX_COLUMNS, STATUS_COLUMNS, mailbox_from, status_from
from services.capture.domain.status import MailboxStatus
from services.capture.ports import MailboxRef

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


@dataclass(frozen=True)
class ConnectionRecord:
    connection_id: str
    tenant_id: str
    provider: int
    directory_tenant_id: str
    client_id: str
    workspace_domain: str
    service_account_email: str
    created_at: datetime
    has_credentials: bool

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ConnectionRecord:
        return cls(
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


async def register_connection(
    conn: Connection | Pool,
    *,
    connection_id: str,
    tenant_id: str,
    provider: int,
    credential: bytes,
    directory_tenant_id: str = "",
    client_id: str = "",
    workspace_domain: str = "",
    service_account_email: str = "",
) -> ConnectionRecord | None:
    """Create or re-register; None when the id is taken by another tenant or another provider."""
    row = await conn.fetchrow(
        REGISTER_CONNECTION,
        connection_id,
        tenant_id,
        provider,
        directory_tenant_id,
        client_id,
        workspace_domain,
        service_account_email,
        credential,
    )
    return ConnectionRecord.from_row(row) if row else None


async def list_connections(conn: Connection | Pool, *, tenant_id: str) -> list[ConnectionRecord]:
    return [ConnectionRecord.from_row(r) for r in await conn.fetch(LIST_CONNECTIONS, tenant_id)]


async def get_connection(
    conn: Connection | Pool, *, tenant_id: str, connection_id: str
) -> ConnectionRecord | None:
    row = await conn.fetchrow(GET_CONNECTION, tenant_id, connection_id)
    return ConnectionRecord.from_row(row) if row else None


async def delete_connection(conn: Connection | Pool, *, tenant_id: str, connection_id: str) -> bool:
    return str(await conn.execute(DELETE_CONNECTION, tenant_id, connection_id)) != "DELETE 0"


async def upsert_mailboxes(
    conn: Connection, *, tenant_id: str, connection_id: str, assignments: Sequence[tuple[str, str]]
) -> list[int]:
    rows = await conn.fetch(
        UPSERT_MAILBOXES, tenant_id, connection_id, [a for a, _ in assignments], [r for _, r in assignments]
    )
    ids = [r["mailbox_id"] for r in rows]
    await conn.execute(ENSURE_STATUS, ids)
    return ids


async def remove_mailbox(conn: Connection | Pool, *, tenant_id: str, address: str) -> bool:
    return str(await conn.execute(REMOVE_MAILBOX, tenant_id, address)) != "DELETE 0"


async def statuses(
    conn: Connection | Pool,
    *,
    tenant_id: str,
    address: str | None = None,
    mailbox_ids: Sequence[int] | None = None,
) -> list[tuple[MailboxRef, MailboxStatus]]:
    rows = await conn.fetch(
        STATUSES, tenant_id, address, list(mailbox_ids) if mailbox_ids is not None else None
    )
    return [(mailbox_from(r), status_from(r)) for r in rows]


async def get_policy(conn: Connection | Pool, *, tenant_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_POLICY, tenant_id)


async def set_policy(
    conn: Connection | Pool,
    *,
    tenant_id: str,
    capture_level: str,
    internal_domains: list[str],
    excluded_addresses: list[str],
    excluded_domains: list[str],
) -> asyncpg.Record:
    row = await conn.fetchrow(
        SET_POLICY, tenant_id, capture_level, internal_domains, excluded_addresses, excluded_domains
    )
    assert row is not None
    return row


async def get_rep_exclusions(
    conn: Connection | Pool, *, tenant_id: str, rep_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_REP_EXCLUSIONS, tenant_id, rep_id)


async def set_rep_exclusions(
    conn: Connection | Pool, *, tenant_id: str, rep_id: str, addresses: list[str], domains: list[str]
) -> asyncpg.Record:
    row = await conn.fetchrow(SET_REP_EXCLUSIONS, tenant_id, rep_id, addresses, domains)
    assert row is not None
    return row


async def erase_rep(conn: Connection, *, tenant_id: str, rep_id: str) -> int:
    removed = len(await conn.fetch(REP_MAILBOXES, tenant_id, rep_id))
    await conn.execute(ERASE_REP_MAILBOXES, tenant_id, rep_id)
    await conn.execute(ERASE_REP_EXCLUSIONS, tenant_id, rep_id)
    return removed
