"""What the admin use cases read and write: connections, mailboxes, capture policies, rep exclusions.

`adapters/postgres/admin_store.py` implements it. Every method is scoped by tenant (another tenant's
objects are simply not found) and is one transaction: the operation picks which atomic step it needs.
Every method may raise `ports.errors.StoreUnavailable` (nothing was written; retry later).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.privacy import CaptureLevel
from services.capture.domain.status import MailboxStatus
from services.capture.ports.connector import MailboxRef


@dataclass(frozen=True)
class NewConnection:
    """A connection to register, with its credential already sealed. The details not used by its
    provider stay empty (Microsoft: directory and client id; Google: workspace and service account)."""

    connection_id: str
    tenant_id: str
    provider: activity_pb2.Provider.ValueType
    sealed_credential: bytes = field(repr=False)
    directory_tenant_id: str = ""
    client_id: str = ""
    workspace_domain: str = ""
    service_account_email: str = ""


@dataclass(frozen=True)
class StoredConnection:
    """A registered connection as an admin may see it: never its credential, only whether it has one."""

    connection_id: str
    tenant_id: str
    provider: activity_pb2.Provider.ValueType
    directory_tenant_id: str
    client_id: str
    workspace_domain: str
    service_account_email: str
    created_at: datetime
    has_credentials: bool


@dataclass(frozen=True)
class StoredTenantPolicy:
    """A tenant's capture policy as set by its admin (addresses and domains normalized, sorted)."""

    tenant_id: str
    capture_level: CaptureLevel = CaptureLevel.METADATA
    internal_domains: Sequence[str] = ()
    excluded_addresses: Sequence[str] = ()
    excluded_domains: Sequence[str] = ()


@dataclass(frozen=True)
class StoredRepExclusions:
    """Addresses and domains one rep never wants captured (on top of the tenant's)."""

    tenant_id: str
    rep_id: str
    excluded_addresses: Sequence[str] = ()
    excluded_domains: Sequence[str] = ()


@dataclass(frozen=True)
class MailboxAssignment:
    """A mailbox (normalized address) and the rep whose activity it is."""

    address: str
    rep_id: str


class ConnectionStore(Protocol):
    async def register_connection(self, connection: NewConnection) -> StoredConnection | None:
        """Create, or re-register with new details and credential (which makes the engine restart the
        connection's mailboxes). None when the id is held by another tenant or another provider."""
        ...

    async def list_connections(self, *, tenant_id: str) -> list[StoredConnection]:
        """Oldest first."""
        ...

    async def get_connection(self, *, tenant_id: str, connection_id: str) -> StoredConnection | None: ...

    async def delete_connection(self, *, tenant_id: str, connection_id: str) -> bool:
        """False when the tenant has no such connection. Its mailboxes and their state go with it."""
        ...


class MailboxStore(Protocol):
    async def upsert_mailboxes(
        self, *, tenant_id: str, connection_id: str, assignments: Sequence[MailboxAssignment]
    ) -> list[int]:
        """Add the mailboxes, or move existing ones to this connection and rep; each gets a status row.
        Returns their ids. One transaction for the whole list."""
        ...

    async def remove_mailbox(self, *, tenant_id: str, address: str) -> bool:
        """False when the tenant has no such mailbox."""
        ...

    async def erase_rep(self, *, tenant_id: str, rep_id: str) -> int:
        """Remove every mailbox of the rep (with their captured state) and the rep's exclusions, in one
        transaction. Returns how many mailboxes were removed."""
        ...

    async def statuses(
        self, *, tenant_id: str, address: str | None = None, mailbox_ids: Sequence[int] | None = None
    ) -> list[tuple[MailboxRef, MailboxStatus]]:
        """The tenant's mailboxes with their last saved status, ordered by address; narrowed to one
        address and/or to the given ids when those are not None."""
        ...


class PolicyStore(Protocol):
    async def get_policy(self, *, tenant_id: str) -> StoredTenantPolicy | None: ...

    async def set_policy(self, policy: StoredTenantPolicy) -> StoredTenantPolicy:
        """Replace the tenant's policy; returns it as stored."""
        ...

    async def get_rep_exclusions(self, *, tenant_id: str, rep_id: str) -> StoredRepExclusions | None: ...

    async def set_rep_exclusions(self, exclusions: StoredRepExclusions) -> StoredRepExclusions:
        """Replace the rep's exclusions; returns them as stored."""
        ...


class AdminStore(ConnectionStore, MailboxStore, PolicyStore, Protocol):
    """Everything the admin operations store, in one adapter."""
