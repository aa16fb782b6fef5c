"""The CaptureAdmin gRPC service: connections, mailboxes, privacy policy, sync status and control.

Secrets go in and never come out: they are sealed before they touch the database and no response
or log line carries them. Bad input is INVALID_ARGUMENT with what was wrong; another tenant's
objects are NOT_FOUND (never "permission denied", which would confirm they exist).
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from plumbing.db.pool import Pool, is_transient_db_error
from services.capture.adapters.postgres import admin_store as store
from services.capture.adapters.secret_box import SecretBox, SecretsUnavailable
from services.capture.domain import validation as check
from services.capture.domain.status import MailboxStatus
from services.capture.ports import MailboxRef
from services.capture.sync.engine import SyncEngine

_log = logging.getLogger(__name__)
TRequest = TypeVar("TRequest")
TResponse = TypeVar("TResponse")
Context = grpc.aio.ServicerContext[Any, Any]

_TO_CONNECTION_PROVIDER = {
    activity_pb2.PROVIDER_MICROSOFT: capture_pb2.CONNECTION_PROVIDER_MICROSOFT,
    activity_pb2.PROVIDER_GOOGLE: capture_pb2.CONNECTION_PROVIDER_GOOGLE,
}
_LEVELS = {
    capture_pb2.CAPTURE_LEVEL_UNSPECIFIED: "metadata",
    capture_pb2.CAPTURE_LEVEL_METADATA: "metadata",
    capture_pb2.CAPTURE_LEVEL_SUBJECT: "subject",
}
_LEVEL_ENUM = {"metadata": capture_pb2.CAPTURE_LEVEL_METADATA, "subject": capture_pb2.CAPTURE_LEVEL_SUBJECT}


class _Abort(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


def _rpc(
    fn: Callable[[Any, TRequest, Context], Awaitable[TResponse]],
) -> Callable[[Any, TRequest, Context], Awaitable[TResponse]]:
    """Maps validation, conflicts and storage failures to gRPC status codes."""

    @functools.wraps(fn)
    async def wrapper(self: Any, request: TRequest, context: Context) -> TResponse:
        try:
            return await fn(self, request, context)
        except check.Invalid as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except _Abort as exc:
            await context.abort(exc.code, str(exc))
        except SecretsUnavailable as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        except Exception as exc:
            if is_transient_db_error(exc):
                await context.abort(grpc.StatusCode.UNAVAILABLE, "storage unavailable, retry")
            _log.exception("CaptureAdmin call failed", extra={"rpc": fn.__name__})
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        raise AssertionError("unreachable")  # abort raises

    return wrapper


def _ts(value: datetime | None) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    ts = Timestamp()
    if value is not None:
        ts.FromDatetime(value.astimezone(UTC))
    return ts


def _connection(record: store.ConnectionRecord) -> capture_pb2.Connection:
    return capture_pb2.Connection(
        connection_id=record.connection_id,
        tenant_id=record.tenant_id,
        provider=_TO_CONNECTION_PROVIDER.get(record.provider, capture_pb2.CONNECTION_PROVIDER_UNSPECIFIED),  # type: ignore[call-overload]
        directory_tenant_id=record.directory_tenant_id,
        client_id=record.client_id,
        workspace_domain=record.workspace_domain,
        service_account_email=record.service_account_email,
        created_at=_ts(record.created_at),
        has_credentials=record.has_credentials,
    )


def _status(mailbox: MailboxRef, status: MailboxStatus, connection_id: str) -> capture_pb2.MailboxStatus:
    message = capture_pb2.MailboxStatus(
        tenant_id=mailbox.tenant_id,
        mailbox=mailbox.address,
        rep_id=mailbox.rep_id,
        state=status.state.value,
        last_error=status.last_error,
        items_captured=status.items_captured,
        lag_seconds=status.lag_seconds(datetime.now(UTC)) or 0.0,
        connection_id=connection_id,
        provider=_TO_CONNECTION_PROVIDER.get(mailbox.provider, capture_pb2.CONNECTION_PROVIDER_UNSPECIFIED),
        resyncs=status.resyncs,
    )
    if status.last_success_at is not None:
        message.last_success_at.CopyFrom(_ts(status.last_success_at))
    if status.last_error_at is not None:
        message.last_error_at.CopyFrom(_ts(status.last_error_at))
    return message


def _pem_private_key(pem: str, field: str) -> None:
    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise check.Invalid(f"{field} is not an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        # Entra client assertions and Google service-account JWTs are RS256.
        raise check.Invalid(f"{field} must be an RSA private key")


class CaptureAdminServicer(capture_pb2_grpc.CaptureAdminServicer):
    def __init__(self, *, pool: Pool, secrets: SecretBox, engine: SyncEngine) -> None:
        self._pool = pool
        self._secrets = secrets
        self._engine = engine

    # --- connections ------------------------------------------------------------------------------

    @_rpc
    async def RegisterMicrosoftConnection(
        self, request: capture_pb2.RegisterMicrosoftConnectionRequest, context: Context
    ) -> capture_pb2.Connection:
        tenant = check.tenant_id(request.tenant_id)
        connection_id = check.connection_id(request.connection_id or f"ms-{uuid.uuid4().hex[:12]}")
        directory = check.directory_tenant_id(request.directory_tenant_id)
        client = check.client_id(request.client_id)
        which = request.WhichOneof("credential")
        if which == "client_secret":
            if not request.client_secret.strip() or len(request.client_secret) > 1024:
                raise check.Invalid("client_secret must be 1 to 1024 characters")
            credential = {"kind": "secret", "client_secret": request.client_secret}
        elif which == "certificate":
            cert = request.certificate
            _pem_private_key(cert.private_key_pem, "certificate.private_key_pem")
            credential = {
                "kind": "certificate",
                "private_key_pem": cert.private_key_pem,
                "thumbprint": check.thumbprint(cert.thumbprint),
            }
            if cert.public_certificate_pem:
                try:
                    x509.load_pem_x509_certificate(cert.public_certificate_pem.encode())
                except ValueError as exc:
                    raise check.Invalid(
                        "certificate.public_certificate_pem is not a PEM certificate"
                    ) from exc
                credential["public_certificate_pem"] = cert.public_certificate_pem
        else:
            raise check.Invalid("a credential is required: client_secret or certificate")
        return await self._register(
            connection_id=connection_id,
            tenant_id=tenant,
            provider=activity_pb2.PROVIDER_MICROSOFT,
            credential=self._secrets.seal(credential),
            directory_tenant_id=directory,
            client_id=client,
        )

    @_rpc
    async def RegisterGoogleConnection(
        self, request: capture_pb2.RegisterGoogleConnectionRequest, context: Context
    ) -> capture_pb2.Connection:
        tenant = check.tenant_id(request.tenant_id)
        connection_id = check.connection_id(request.connection_id or f"gws-{uuid.uuid4().hex[:12]}")
        key = check.service_account_key(request.service_account_key_json)
        _pem_private_key(key["private_key"], "service_account_key_json.private_key")
        workspace = check.domain(request.workspace_domain, "workspace_domain")
        return await self._register(
            connection_id=connection_id,
            tenant_id=tenant,
            provider=activity_pb2.PROVIDER_GOOGLE,
            credential=self._secrets.seal(
                {"kind": "service_account", "key_json": request.service_account_key_json}
            ),
            workspace_domain=workspace,
            service_account_email=key["client_email"].lower(),
        )

    async def _register(
        self, *, connection_id: str, tenant_id: str, provider: int, credential: bytes, **details: str
    ) -> capture_pb2.Connection:
        """Store (or re-register) a connection and reconcile the engine; an id held by another tenant or
        provider is ALREADY_EXISTS. `details` are the provider's own columns (store.register_connection)."""
        record = await store.register_connection(
            self._pool,
            connection_id=connection_id,
            tenant_id=tenant_id,
            provider=provider,
            credential=credential,
            **details,
        )
        if record is None:
            raise _Abort(grpc.StatusCode.ALREADY_EXISTS, f"connection_id {connection_id!r} is already in use")
        await self._engine.reconcile()
        return _connection(record)

    @_rpc
    async def ListConnections(
        self, request: capture_pb2.ListConnectionsRequest, context: Context
    ) -> capture_pb2.ListConnectionsResponse:
        records = await store.list_connections(self._pool, tenant_id=check.tenant_id(request.tenant_id))
        return capture_pb2.ListConnectionsResponse(connections=[_connection(r) for r in records])

    @_rpc
    async def DeleteConnection(
        self, request: capture_pb2.DeleteConnectionRequest, context: Context
    ) -> capture_pb2.DeleteConnectionResponse:
        tenant = check.tenant_id(request.tenant_id)
        if not await store.delete_connection(
            self._pool, tenant_id=tenant, connection_id=request.connection_id
        ):
            raise _Abort(grpc.StatusCode.NOT_FOUND, f"no connection {request.connection_id!r}")
        await self._engine.reconcile()
        return capture_pb2.DeleteConnectionResponse()

    # --- mailboxes --------------------------------------------------------------------------------

    @_rpc
    async def UpsertMailboxes(
        self, request: capture_pb2.UpsertMailboxesRequest, context: Context
    ) -> capture_pb2.UpsertMailboxesResponse:
        tenant = check.tenant_id(request.tenant_id)
        if not request.mailboxes:
            raise check.Invalid("mailboxes: at least one is required")
        if len(request.mailboxes) > check.MAX_MAILBOXES_PER_CALL:
            raise check.Invalid(f"mailboxes: at most {check.MAX_MAILBOXES_PER_CALL} per call")
        assignments = [
            (check.mailbox_address(m.address), check.rep_id(m.rep_id, "mailboxes.rep_id"))
            for m in request.mailboxes
        ]
        if len({a for a, _ in assignments}) != len(assignments):
            raise check.Invalid("mailboxes: an address appears twice")
        connection = await store.get_connection(
            self._pool, tenant_id=tenant, connection_id=request.connection_id
        )
        if connection is None:
            raise _Abort(grpc.StatusCode.NOT_FOUND, f"no connection {request.connection_id!r}")
        async with self._pool.acquire() as conn, conn.transaction():
            ids = await store.upsert_mailboxes(
                conn, tenant_id=tenant, connection_id=connection.connection_id, assignments=assignments
            )
        await self._engine.reconcile()
        return capture_pb2.UpsertMailboxesResponse(mailboxes=await self._statuses(tenant, mailbox_ids=ids))

    @_rpc
    async def RemoveMailbox(
        self, request: capture_pb2.RemoveMailboxRequest, context: Context
    ) -> capture_pb2.RemoveMailboxResponse:
        tenant = check.tenant_id(request.tenant_id)
        address = check.mailbox_address(request.address)
        if not await store.remove_mailbox(self._pool, tenant_id=tenant, address=address):
            raise _Abort(grpc.StatusCode.NOT_FOUND, f"no mailbox {address!r}")
        await self._engine.reconcile()
        return capture_pb2.RemoveMailboxResponse()

    async def _statuses(
        self, tenant: str, *, address: str | None = None, mailbox_ids: list[int] | None = None
    ) -> list[capture_pb2.MailboxStatus]:
        out = []
        for mailbox, stored in await store.statuses(
            self._pool, tenant_id=tenant, address=address, mailbox_ids=mailbox_ids
        ):
            worker = self._engine.worker(mailbox.mailbox_id)
            # The running worker knows more than the last saved row (e.g. throttled right now).
            out.append(_status(mailbox, worker.status if worker else stored, mailbox.connection_id))
        return out

    @_rpc
    async def GetSyncStatus(
        self, request: capture_pb2.GetSyncStatusRequest, context: Context
    ) -> capture_pb2.GetSyncStatusResponse:
        tenant = check.tenant_id(request.tenant_id)
        address = check.mailbox_address(request.mailbox) if request.mailbox else None
        return capture_pb2.GetSyncStatusResponse(mailboxes=await self._statuses(tenant, address=address))

    @_rpc
    async def TriggerSync(
        self, request: capture_pb2.TriggerSyncRequest, context: Context
    ) -> capture_pb2.TriggerSyncResponse:
        tenant = check.tenant_id(request.tenant_id)
        address = check.mailbox_address(request.mailbox) if request.mailbox else None
        targets = await store.statuses(self._pool, tenant_id=tenant, address=address)
        if address is not None and not targets:
            raise _Abort(grpc.StatusCode.NOT_FOUND, f"no mailbox {address!r}")
        ids = [m.mailbox_id for m, _ in targets]
        await self._engine.trigger(ids, full_resync=request.full_resync)
        return capture_pb2.TriggerSyncResponse(mailboxes=await self._statuses(tenant, mailbox_ids=ids))

    @_rpc
    async def EraseRep(
        self, request: capture_pb2.EraseRepRequest, context: Context
    ) -> capture_pb2.EraseRepResponse:
        tenant = check.tenant_id(request.tenant_id)
        rep = check.rep_id(request.rep_id)
        async with self._pool.acquire() as conn, conn.transaction():
            removed = await store.erase_rep(conn, tenant_id=tenant, rep_id=rep)
        await self._engine.reconcile()
        self._engine.invalidate_policies(tenant)
        return capture_pb2.EraseRepResponse(mailboxes_removed=removed)

    # --- policy -----------------------------------------------------------------------------------

    @_rpc
    async def GetCapturePolicy(
        self, request: capture_pb2.GetCapturePolicyRequest, context: Context
    ) -> capture_pb2.CapturePolicy:
        tenant = check.tenant_id(request.tenant_id)
        row = await store.get_policy(self._pool, tenant_id=tenant)
        if row is None:
            return capture_pb2.CapturePolicy(
                tenant_id=tenant, capture_level=capture_pb2.CAPTURE_LEVEL_METADATA
            )
        return _policy(row)

    @_rpc
    async def SetCapturePolicy(
        self, request: capture_pb2.SetCapturePolicyRequest, context: Context
    ) -> capture_pb2.CapturePolicy:
        policy = request.policy
        tenant = check.tenant_id(policy.tenant_id)
        if policy.capture_level not in _LEVELS:
            raise check.Invalid("policy.capture_level is not a known level")
        row = await store.set_policy(
            self._pool,
            tenant_id=tenant,
            capture_level=_LEVELS[policy.capture_level],
            internal_domains=check.domains(policy.internal_domains, "policy.internal_domains"),
            excluded_addresses=check.addresses(policy.excluded_addresses, "policy.excluded_addresses"),
            excluded_domains=check.domains(policy.excluded_domains, "policy.excluded_domains"),
        )
        self._engine.invalidate_policies(tenant)
        return _policy(row)

    @_rpc
    async def GetRepExclusions(
        self, request: capture_pb2.GetRepExclusionsRequest, context: Context
    ) -> capture_pb2.RepExclusions:
        tenant, rep = check.tenant_id(request.tenant_id), check.rep_id(request.rep_id)
        row = await store.get_rep_exclusions(self._pool, tenant_id=tenant, rep_id=rep)
        if row is None:
            return capture_pb2.RepExclusions(tenant_id=tenant, rep_id=rep)
        return _exclusions(row)

    @_rpc
    async def SetRepExclusions(
        self, request: capture_pb2.SetRepExclusionsRequest, context: Context
    ) -> capture_pb2.RepExclusions:
        ex = request.exclusions
        tenant, rep = check.tenant_id(ex.tenant_id), check.rep_id(ex.rep_id, "exclusions.rep_id")
        row = await store.set_rep_exclusions(
            self._pool,
            tenant_id=tenant,
            rep_id=rep,
            addresses=check.addresses(ex.excluded_addresses, "exclusions.excluded_addresses"),
            domains=check.domains(ex.excluded_domains, "exclusions.excluded_domains"),
        )
        self._engine.invalidate_policies(tenant)
        return _exclusions(row)


def _policy(row: Any) -> capture_pb2.CapturePolicy:
    return capture_pb2.CapturePolicy(
        tenant_id=row["tenant_id"],
        capture_level=_LEVEL_ENUM[row["capture_level"]],
        internal_domains=row["internal_domains"],
        excluded_addresses=row["excluded_addresses"],
        excluded_domains=row["excluded_domains"],
    )


def _exclusions(row: Any) -> capture_pb2.RepExclusions:
    return capture_pb2.RepExclusions(
        tenant_id=row["tenant_id"],
        rep_id=row["rep_id"],
        excluded_addresses=row["excluded_addresses"],
        excluded_domains=row["excluded_domains"],
    )
