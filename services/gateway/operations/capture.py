"""What capture does for the tenant, as its admin sets it: capture policy, provider connections,
mailbox assignments and sync."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from groundtruth.capture.v1 import capture_pb2 as c
from services.gateway.domain.access import Operation
from services.gateway.domain.identifiers import is_client_id, is_domain, is_guid
from services.gateway.errors import InvalidRequest
from services.gateway.operations import checks
from services.gateway.operations.scope import TenantScope, scoped

MAX_MAILBOXES_PER_CALL = 1_000
MAX_POLICY_ENTRIES = 1_000  # capture holds at most this many per list
MAX_SECRET_CHARS = 16_384
_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


@scoped(Operation.READ_CAPTURE_POLICY)
async def get_capture_policy(scope: TenantScope) -> c.CapturePolicy:
    return await scope.capture.get_capture_policy()


@scoped(Operation.WRITE_CAPTURE_POLICY)
async def set_capture_policy(
    scope: TenantScope,
    *,
    capture_level: c.CaptureLevel.ValueType,
    internal_domains: Sequence[str],
    excluded_addresses: Sequence[str],
    excluded_domains: Sequence[str],
) -> c.CapturePolicy:
    if max(len(internal_domains), len(excluded_addresses), len(excluded_domains)) > MAX_POLICY_ENTRIES:
        raise InvalidRequest(f"each list of the policy holds at most {MAX_POLICY_ENTRIES} entries")
    return await scope.capture.set_capture_policy(
        capture_level=capture_level,
        internal_domains=sorted({checks.domain(d, name="internal domain") for d in internal_domains}),
        excluded_addresses=sorted({checks.email(a, name="excluded address") for a in excluded_addresses}),
        excluded_domains=sorted({checks.domain(d, name="excluded domain") for d in excluded_domains}),
    )


@scoped(Operation.READ_CONNECTIONS)
async def list_connections(scope: TenantScope) -> c.ListConnectionsResponse:
    return await scope.capture.list_connections()


@scoped(Operation.WRITE_CONNECTIONS)
async def register_microsoft(
    scope: TenantScope, request: c.RegisterMicrosoftConnectionRequest
) -> c.Connection:
    """Register a Microsoft 365 app registration; the secret or key goes to capture, never back."""
    checks.connection_id(request.connection_id, required=False)
    directory = request.directory_tenant_id.lower()
    if not (is_guid(directory) or is_domain(directory)):
        raise InvalidRequest("directory_tenant_id must be the Entra tenant id or primary domain")
    if not is_client_id(request.client_id):
        raise InvalidRequest("client_id must be the application (client) id")
    credential = request.WhichOneof("credential")
    if credential is None:
        raise InvalidRequest("give either client_secret or certificate")
    if credential == "client_secret" and not 1 <= len(request.client_secret) <= MAX_SECRET_CHARS:
        raise InvalidRequest("client_secret must be 1..16384 characters")
    if credential == "certificate":
        cert = request.certificate
        if not _PRIVATE_KEY.search(cert.private_key_pem) or len(cert.private_key_pem) > MAX_SECRET_CHARS:
            raise InvalidRequest("certificate.private_key_pem must be a PEM private key")
        if not _THUMBPRINT.match(cert.thumbprint):
            raise InvalidRequest("certificate.thumbprint must be the SHA-1 thumbprint in hex (40 characters)")
        if len(cert.public_certificate_pem) > MAX_SECRET_CHARS:
            raise InvalidRequest("certificate.public_certificate_pem is too long")
    return await scope.capture.register_microsoft(request)


@scoped(Operation.WRITE_CONNECTIONS)
async def register_google(
    scope: TenantScope, *, connection_id: str, service_account_key_json: str, workspace_domain: str
) -> c.Connection:
    """Register a Google Workspace service account with domain-wide delegation."""
    checks.connection_id(connection_id, required=False)
    domain = checks.domain(workspace_domain, name="workspace_domain")
    if len(service_account_key_json) > MAX_SECRET_CHARS:
        raise InvalidRequest("service_account_key_json is too long")
    try:
        key = json.loads(service_account_key_json)
    except ValueError as exc:
        raise InvalidRequest("service_account_key_json is not JSON") from exc
    if not isinstance(key, dict) or key.get("type") != "service_account":
        raise InvalidRequest(
            "service_account_key_json must be a service-account key file (type service_account)"
        )
    missing = [k for k in ("client_email", "private_key") if not isinstance(key.get(k), str) or not key[k]]
    if missing:
        raise InvalidRequest(f"service_account_key_json lacks {', '.join(missing)}")
    return await scope.capture.register_google(
        connection_id=connection_id,
        service_account_key_json=service_account_key_json,
        workspace_domain=domain,
    )


@scoped(Operation.WRITE_CONNECTIONS)
async def delete_connection(scope: TenantScope, *, connection_id: str) -> None:
    await scope.capture.delete_connection(connection_id=checks.connection_id(connection_id))


@scoped(Operation.WRITE_MAILBOXES)
async def upsert_mailboxes(
    scope: TenantScope, *, connection_id: str, mailboxes: Sequence[tuple[str, str]]
) -> c.UpsertMailboxesResponse:
    """Assign mailboxes (address -> rep) of a connection; capture starts backfilling them."""
    if not 1 <= len(mailboxes) <= MAX_MAILBOXES_PER_CALL:
        raise InvalidRequest(f"mailboxes must hold 1..{MAX_MAILBOXES_PER_CALL} entries")
    connection = checks.connection_id(connection_id)
    assignments = [
        c.MailboxAssignment(address=checks.email(address, name="mailbox"), rep_id=checks.rep_id(rep))
        for address, rep in mailboxes
    ]
    return await scope.capture.upsert_mailboxes(connection_id=connection, mailboxes=assignments)


@scoped(Operation.WRITE_MAILBOXES)
async def remove_mailbox(scope: TenantScope, *, address: str) -> None:
    await scope.capture.remove_mailbox(address=checks.email(address, name="mailbox"))


@scoped(Operation.READ_SYNC_STATUS)
async def sync_status(scope: TenantScope, *, mailbox: str) -> c.GetSyncStatusResponse:
    address = checks.email(mailbox, name="mailbox") if mailbox else ""
    return await scope.capture.get_sync_status(mailbox=address)


@scoped(Operation.TRIGGER_SYNC)
async def trigger_sync(scope: TenantScope, *, mailbox: str, full_resync: bool) -> c.TriggerSyncResponse:
    address = checks.email(mailbox, name="mailbox") if mailbox else ""
    return await scope.capture.trigger_sync(mailbox=address, full_resync=full_resync)
