"""Connections: a tenant's access to a provider (a Microsoft 365 app registration, a Google
service account), registered with a credential that is sealed before it is stored."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain import validation as check
from services.capture.domain.credentials import (
    MicrosoftCredential,
    google_service_account,
    microsoft_credential,
)
from services.capture.operations.context import AdminPorts
from services.capture.operations.errors import AlreadyExists, NotFound
from services.capture.ports import NewConnection, StoredConnection


@dataclass(frozen=True)
class MicrosoftRegistration:
    """A Microsoft 365 connection as the admin asked for it, not yet checked. An empty
    `connection_id` gets a generated one."""

    tenant_id: str
    connection_id: str
    directory_tenant_id: str
    client_id: str
    credential: MicrosoftCredential | None


@dataclass(frozen=True)
class GoogleRegistration:
    """A Google Workspace connection as the admin asked for it, not yet checked. An empty
    `connection_id` gets a generated one."""

    tenant_id: str
    connection_id: str
    service_account_key_json: str = field(repr=False)
    workspace_domain: str


async def register_microsoft_connection(
    admin: AdminPorts, registration: MicrosoftRegistration
) -> StoredConnection:
    """Check, seal, store (or re-register) and start capturing; `Invalid`, `AlreadyExists`."""
    tenant = check.tenant_id(registration.tenant_id)
    connection_id = check.connection_id(registration.connection_id or f"ms-{uuid.uuid4().hex[:12]}")
    directory = check.directory_tenant_id(registration.directory_tenant_id)
    client = check.client_id(registration.client_id)
    credential = microsoft_credential(registration.credential)
    return await _register(
        admin,
        credential,
        connection_id=connection_id,
        tenant_id=tenant,
        provider=activity_pb2.PROVIDER_MICROSOFT,
        directory_tenant_id=directory,
        client_id=client,
    )


async def register_google_connection(admin: AdminPorts, registration: GoogleRegistration) -> StoredConnection:
    """Check, seal, store (or re-register) and start capturing; `Invalid`, `AlreadyExists`."""
    tenant = check.tenant_id(registration.tenant_id)
    connection_id = check.connection_id(registration.connection_id or f"gws-{uuid.uuid4().hex[:12]}")
    account = google_service_account(registration.service_account_key_json)
    workspace = check.domain(registration.workspace_domain, "workspace_domain")
    return await _register(
        admin,
        account.document,
        connection_id=connection_id,
        tenant_id=tenant,
        provider=activity_pb2.PROVIDER_GOOGLE,
        workspace_domain=workspace,
        service_account_email=account.client_email,
    )


async def _register(
    admin: AdminPorts,
    credential: Mapping[str, str],
    *,
    connection_id: str,
    tenant_id: str,
    provider: activity_pb2.Provider.ValueType,
    directory_tenant_id: str = "",
    client_id: str = "",
    workspace_domain: str = "",
    service_account_email: str = "",
) -> StoredConnection:
    # Sealed first: without a key (SecretsUnavailable) nothing is stored at all.
    sealed = admin.secrets.seal(credential)
    stored = await admin.store.register_connection(
        NewConnection(
            connection_id=connection_id,
            tenant_id=tenant_id,
            provider=provider,
            sealed_credential=sealed,
            directory_tenant_id=directory_tenant_id,
            client_id=client_id,
            workspace_domain=workspace_domain,
            service_account_email=service_account_email,
        )
    )
    if stored is None:
        raise AlreadyExists(f"connection_id {connection_id!r} is already in use")
    # A re-registered connection has a new version: the engine restarts its mailboxes with it.
    await admin.sync.reconcile()
    return stored


async def list_connections(admin: AdminPorts, *, tenant_id: str) -> list[StoredConnection]:
    return await admin.store.list_connections(tenant_id=check.tenant_id(tenant_id))


async def delete_connection(admin: AdminPorts, *, tenant_id: str, connection_id: str) -> None:
    """Delete the connection with its mailboxes and stop capturing them; `NotFound`."""
    tenant = check.tenant_id(tenant_id)
    if not await admin.store.delete_connection(tenant_id=tenant, connection_id=connection_id):
        raise NotFound(f"no connection {connection_id!r}")
    await admin.sync.reconcile()
