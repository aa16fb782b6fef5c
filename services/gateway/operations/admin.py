"""Tenant administration: configuration, capture policy, connections, mailboxes, sync, erasure."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.adapters import key_store, state_store
from services.gateway.domain import tenant_config
from services.gateway.domain.access import Operation, require
from services.gateway.domain.principal import Principal
from services.gateway.errors import Conflict, InvalidRequest, NotFound
from services.gateway.operations import checks
from services.gateway.operations.context import Gateway

MAX_MAILBOXES_PER_CALL = 1_000
MAX_POLICY_ENTRIES = 5_000
MAX_SECRET_CHARS = 16_384
_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")


async def get_config(gw: Gateway, p: Principal) -> crm_pb2.TenantConfig:
    require(p, Operation.READ_TENANT_CONFIG)
    return await gw.configs.config(p.tenant_id)


async def set_config(
    gw: Gateway, p: Principal, config: crm_pb2.TenantConfig, *, expected_version: int | None
) -> crm_pb2.TenantConfig:
    """Validate, store a new version and publish it (acked by the broker) in one transaction."""
    require(p, Operation.WRITE_TENANT_CONFIG)
    problems = tenant_config.config_problems(config)
    if problems:
        raise InvalidRequest("the configuration is not valid: " + "; ".join(problems[:20]))
    now = gw.clock()
    async with gw.pool.acquire() as conn, conn.transaction():
        if not await key_store.lock_tenant(conn, p.tenant_id):
            raise NotFound("the tenant no longer exists")
        current = await state_store.current_config(conn, p.tenant_id)
        current_version = current.version if current is not None else 0
        if expected_version is not None and expected_version != current_version:
            raise Conflict(
                f"the configuration is at version {current_version}, not {expected_version}; "
                "re-read it and retry"
            )
        version = tenant_config.next_version(current_version, int(now.timestamp() * 1_000_000))
        stored = tenant_config.normalized(config, version=version)
        await state_store.insert_config(conn, tenant_id=p.tenant_id, config=stored, created_by=p.key_id)
        event = crm_pb2.CrmEvent(
            event_id=f"tenant_config_{version}",
            tenant_id=p.tenant_id,
            source="gateway",
            tenant_config_updated=crm_pb2.TenantConfigUpdated(config=stored),
        )
        event.occurred_at.FromDatetime(now)
        event.observed_at.FromDatetime(now)
        # Inside the transaction: if the broker does not take it, the version is not stored either.
        await gw.publisher.publish([event])
    gw.configs.invalidate(p.tenant_id)
    return stored


async def get_capture_policy(gw: Gateway, p: Principal) -> c.CapturePolicy:
    require(p, Operation.READ_CAPTURE_POLICY)
    return await gw.capture.get_capture_policy(tenant_id=p.tenant_id)


async def set_capture_policy(
    gw: Gateway,
    p: Principal,
    *,
    capture_level: c.CaptureLevel.ValueType,
    internal_domains: Sequence[str],
    excluded_addresses: Sequence[str],
    excluded_domains: Sequence[str],
) -> c.CapturePolicy:
    require(p, Operation.WRITE_CAPTURE_POLICY)
    if max(len(internal_domains), len(excluded_addresses), len(excluded_domains)) > MAX_POLICY_ENTRIES:
        raise InvalidRequest(f"each list of the policy holds at most {MAX_POLICY_ENTRIES} entries")
    policy = c.CapturePolicy(
        tenant_id=p.tenant_id,
        capture_level=capture_level,
        internal_domains=sorted({checks.domain(d, name="internal domain") for d in internal_domains}),
        excluded_addresses=sorted({checks.email(a, name="excluded address") for a in excluded_addresses}),
        excluded_domains=sorted({checks.domain(d, name="excluded domain") for d in excluded_domains}),
    )
    return await gw.capture.set_capture_policy(policy)


async def list_connections(gw: Gateway, p: Principal) -> c.ListConnectionsResponse:
    require(p, Operation.READ_CONNECTIONS)
    return await gw.capture.list_connections(tenant_id=p.tenant_id)


async def register_microsoft(
    gw: Gateway, p: Principal, request: c.RegisterMicrosoftConnectionRequest
) -> c.Connection:
    """Register a Microsoft 365 app registration; the secret or key goes to capture, never back."""
    require(p, Operation.WRITE_CONNECTIONS)
    checks.connection_id(request.connection_id, required=False)
    if not _CLIENT_ID.match(request.directory_tenant_id):
        raise InvalidRequest("directory_tenant_id must be the Entra tenant id or primary domain")
    if not _CLIENT_ID.match(request.client_id):
        raise InvalidRequest("client_id must be the application (client) id")
    credential = request.WhichOneof("credential")
    if credential is None:
        raise InvalidRequest("give either client_secret or certificate")
    if credential == "client_secret" and not 1 <= len(request.client_secret) <= MAX_SECRET_CHARS:
        raise InvalidRequest("client_secret must be 1..16384 characters")
    if credential == "certificate":
        cert = request.certificate
        if "PRIVATE KEY" not in cert.private_key_pem or len(cert.private_key_pem) > MAX_SECRET_CHARS:
            raise InvalidRequest("certificate.private_key_pem must be a PEM private key")
        if not _THUMBPRINT.match(cert.thumbprint):
            raise InvalidRequest("certificate.thumbprint must be the SHA-1 thumbprint in hex (40 characters)")
        if len(cert.public_certificate_pem) > MAX_SECRET_CHARS:
            raise InvalidRequest("certificate.public_certificate_pem is too long")
    upstream = c.RegisterMicrosoftConnectionRequest()
    upstream.CopyFrom(request)
    upstream.tenant_id = p.tenant_id
    return await gw.capture.register_microsoft(upstream)


async def register_google(
    gw: Gateway, p: Principal, *, connection_id: str, service_account_key_json: str, workspace_domain: str
) -> c.Connection:
    """Register a Google Workspace service account with domain-wide delegation."""
    require(p, Operation.WRITE_CONNECTIONS)
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
    request = c.RegisterGoogleConnectionRequest(
        tenant_id=p.tenant_id,
        connection_id=connection_id,
        service_account_key_json=service_account_key_json,
        workspace_domain=domain,
    )
    return await gw.capture.register_google(request)


async def delete_connection(gw: Gateway, p: Principal, *, connection_id: str) -> None:
    require(p, Operation.WRITE_CONNECTIONS)
    await gw.capture.delete_connection(
        tenant_id=p.tenant_id, connection_id=checks.connection_id(connection_id)
    )


async def upsert_mailboxes(
    gw: Gateway, p: Principal, *, connection_id: str, mailboxes: Sequence[tuple[str, str]]
) -> c.UpsertMailboxesResponse:
    """Assign mailboxes (address -> rep) of a connection; capture starts backfilling them."""
    require(p, Operation.WRITE_MAILBOXES)
    if not 1 <= len(mailboxes) <= MAX_MAILBOXES_PER_CALL:
        raise InvalidRequest(f"mailboxes must hold 1..{MAX_MAILBOXES_PER_CALL} entries")
    request = c.UpsertMailboxesRequest(
        tenant_id=p.tenant_id, connection_id=checks.connection_id(connection_id)
    )
    for address, rep in mailboxes:
        request.mailboxes.append(
            c.MailboxAssignment(address=checks.email(address, name="mailbox"), rep_id=checks.rep_id(rep))
        )
    return await gw.capture.upsert_mailboxes(request)


async def remove_mailbox(gw: Gateway, p: Principal, *, address: str) -> None:
    require(p, Operation.WRITE_MAILBOXES)
    await gw.capture.remove_mailbox(tenant_id=p.tenant_id, address=checks.email(address, name="mailbox"))


async def sync_status(gw: Gateway, p: Principal, *, mailbox: str) -> c.GetSyncStatusResponse:
    require(p, Operation.READ_SYNC_STATUS)
    address = checks.email(mailbox, name="mailbox") if mailbox else ""
    return await gw.capture.get_sync_status(tenant_id=p.tenant_id, mailbox=address)


async def trigger_sync(
    gw: Gateway, p: Principal, *, mailbox: str, full_resync: bool
) -> c.TriggerSyncResponse:
    require(p, Operation.TRIGGER_SYNC)
    address = checks.email(mailbox, name="mailbox") if mailbox else ""
    return await gw.capture.trigger_sync(tenant_id=p.tenant_id, mailbox=address, full_resync=full_resync)


@dataclass(frozen=True)
class Erasure:
    rep_id: str
    capture: c.EraseRepResponse
    scoring: s.EraseRepResponse
    revoked_key_ids: list[str]


async def erase_rep(gw: Gateway, p: Principal, *, rep_id: str) -> Erasure:
    """Erase a rep everywhere: capture stops first (nothing new arrives), then scoring deletes and
    publishes tombstones, then the rep's own keys are revoked. Every step is idempotent, so after a
    partial failure (503) the admin simply repeats the call.
    """
    require(p, Operation.ERASE_REP)
    rep = checks.rep_id(rep_id)
    captured = await gw.capture.erase_rep(tenant_id=p.tenant_id, rep_id=rep)
    scored = await gw.scoring.erase_rep(tenant_id=p.tenant_id, rep_id=rep)
    gw.scores.evict((p.tenant_id, rep))
    if gw.score_view is not None:
        gw.score_view.evict(p.tenant_id, rep)
    revoked = await key_store.revoke_rep_keys(gw.pool, tenant_id=p.tenant_id, rep_id=rep)
    for key_id in revoked:
        gw.authenticator.forget(key_id)
    return Erasure(rep_id=rep, capture=captured, scoring=scored, revoked_key_ids=revoked)
