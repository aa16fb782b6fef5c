"""In-memory stand-ins for the ports the admin operations use (AdminStore, SecretSealer, SyncControl)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.capture.domain.status import MailboxStatus
from services.capture.operations.context import AdminPorts
from services.capture.ports import (
    MailboxAssignment,
    MailboxRef,
    NewConnection,
    SecretsUnavailable,
    StoredConnection,
    StoredRepExclusions,
    StoredTenantPolicy,
)

CREATED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class MemoryAdminStore:
    """`AdminStore` in dictionaries, scoped by tenant as the PostgreSQL one is."""

    connections: dict[str, StoredConnection] = field(default_factory=dict)
    sealed: dict[str, bytes] = field(default_factory=dict)
    mailboxes: dict[int, MailboxRef] = field(default_factory=dict)
    saved_status: dict[int, MailboxStatus] = field(default_factory=dict)
    policies: dict[str, StoredTenantPolicy] = field(default_factory=dict)
    exclusions: dict[tuple[str, str], StoredRepExclusions] = field(default_factory=dict)
    next_mailbox_id: int = 1

    async def register_connection(self, connection: NewConnection) -> StoredConnection | None:
        held = self.connections.get(connection.connection_id)
        if held is not None and (held.tenant_id, held.provider) != (
            connection.tenant_id,
            connection.provider,
        ):
            return None
        stored = StoredConnection(
            connection_id=connection.connection_id,
            tenant_id=connection.tenant_id,
            provider=connection.provider,
            directory_tenant_id=connection.directory_tenant_id,
            client_id=connection.client_id,
            workspace_domain=connection.workspace_domain,
            service_account_email=connection.service_account_email,
            created_at=held.created_at if held else CREATED,
            has_credentials=bool(connection.sealed_credential),
        )
        self.connections[connection.connection_id] = stored
        self.sealed[connection.connection_id] = connection.sealed_credential
        return stored

    async def list_connections(self, *, tenant_id: str) -> list[StoredConnection]:
        return [c for c in self.connections.values() if c.tenant_id == tenant_id]

    async def get_connection(self, *, tenant_id: str, connection_id: str) -> StoredConnection | None:
        found = self.connections.get(connection_id)
        return found if found is not None and found.tenant_id == tenant_id else None

    async def delete_connection(self, *, tenant_id: str, connection_id: str) -> bool:
        if await self.get_connection(tenant_id=tenant_id, connection_id=connection_id) is None:
            return False
        del self.connections[connection_id]
        for mailbox_id in [i for i, m in self.mailboxes.items() if m.connection_id == connection_id]:
            del self.mailboxes[mailbox_id]
        return True

    async def upsert_mailboxes(
        self, *, tenant_id: str, connection_id: str, assignments: Sequence[MailboxAssignment]
    ) -> list[int]:
        ids = []
        for assignment in assignments:
            mailbox_id = self._find(tenant_id, assignment.address)
            if mailbox_id is None:
                mailbox_id, self.next_mailbox_id = self.next_mailbox_id, self.next_mailbox_id + 1
            provider = self.connections[connection_id].provider
            self.mailboxes[mailbox_id] = MailboxRef(
                mailbox_id, tenant_id, connection_id, provider, assignment.address, assignment.rep_id
            )
            self.saved_status.setdefault(mailbox_id, MailboxStatus())
            ids.append(mailbox_id)
        return ids

    async def remove_mailbox(self, *, tenant_id: str, address: str) -> bool:
        mailbox_id = self._find(tenant_id, address)
        if mailbox_id is None:
            return False
        del self.mailboxes[mailbox_id]
        return True

    async def erase_rep(self, *, tenant_id: str, rep_id: str) -> int:
        gone = [i for i, m in self.mailboxes.items() if (m.tenant_id, m.rep_id) == (tenant_id, rep_id)]
        for mailbox_id in gone:
            del self.mailboxes[mailbox_id]
        self.exclusions.pop((tenant_id, rep_id), None)
        return len(gone)

    async def statuses(
        self, *, tenant_id: str, address: str | None = None, mailbox_ids: Sequence[int] | None = None
    ) -> list[tuple[MailboxRef, MailboxStatus]]:
        found = [
            (m, self.saved_status.get(m.mailbox_id, MailboxStatus()))
            for m in self.mailboxes.values()
            if m.tenant_id == tenant_id
            and (address is None or m.address == address)
            and (mailbox_ids is None or m.mailbox_id in mailbox_ids)
        ]
        return sorted(found, key=lambda pair: pair[0].address)

    async def get_policy(self, *, tenant_id: str) -> StoredTenantPolicy | None:
        return self.policies.get(tenant_id)

    async def set_policy(self, policy: StoredTenantPolicy) -> StoredTenantPolicy:
        self.policies[policy.tenant_id] = policy
        return policy

    async def get_rep_exclusions(self, *, tenant_id: str, rep_id: str) -> StoredRepExclusions | None:
        return self.exclusions.get((tenant_id, rep_id))

    async def set_rep_exclusions(self, exclusions: StoredRepExclusions) -> StoredRepExclusions:
        self.exclusions[(exclusions.tenant_id, exclusions.rep_id)] = exclusions
        return exclusions

    def _find(self, tenant_id: str, address: str) -> int | None:
        return next(
            (i for i, m in self.mailboxes.items() if (m.tenant_id, m.address) == (tenant_id, address)), None
        )


@dataclass
class FakeSecrets:
    """`SecretSealer` that keeps what it sealed readable to the test; without a key it refuses."""

    has_key: bool = True
    documents: list[dict[str, str]] = field(default_factory=list)

    def seal(self, document: Mapping[str, str]) -> bytes:
        if not self.has_key:
            raise SecretsUnavailable("GT_CAPTURE_SECRET_KEYS is not set; secrets cannot be stored")
        self.documents.append(dict(document))
        return b"sealed:" + json.dumps(dict(document), sort_keys=True).encode()


@dataclass
class FakeSync:
    """`SyncControl` that records what the operations asked of the engine."""

    reconciles: int = 0
    triggered: list[tuple[list[int], bool]] = field(default_factory=list)
    invalidated: list[str] = field(default_factory=list)
    live: dict[int, MailboxStatus] = field(default_factory=dict)

    async def reconcile(self) -> None:
        self.reconciles += 1

    async def trigger(self, mailbox_ids: Sequence[int], *, full_resync: bool) -> None:
        self.triggered.append((list(mailbox_ids), full_resync))

    def invalidate_policies(self, tenant_id: str) -> None:
        self.invalidated.append(tenant_id)

    def live_status(self, mailbox_id: int) -> MailboxStatus | None:
        return self.live.get(mailbox_id)


@dataclass
class AdminWorld:
    """The three fakes and the `AdminPorts` built on them."""

    store: MemoryAdminStore = field(default_factory=MemoryAdminStore)
    secrets: FakeSecrets = field(default_factory=FakeSecrets)
    sync: FakeSync = field(default_factory=FakeSync)

    @property
    def ports(self) -> AdminPorts:
        return AdminPorts(store=self.store, secrets=self.secrets, sync=self.sync)

    def without_key(self) -> AdminWorld:
        return dataclasses.replace(self, secrets=FakeSecrets(has_key=False))
