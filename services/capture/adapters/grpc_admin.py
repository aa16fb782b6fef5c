"""The CaptureAdmin gRPC service: a thin edge over the admin operations.

Each RPC turns its request into an operation's input (`grpc_messages`), awaits the operation, and
turns the result back into a response. Errors become status codes in one place (`_rpc`): bad input is
INVALID_ARGUMENT with what was wrong; another tenant's objects are NOT_FOUND (never "permission
denied", which would confirm they exist). Secrets go in and never come out: no response or log line
carries them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from services.capture.adapters import grpc_messages as messages
from services.capture.domain.validation import Invalid
from services.capture.operations import connections, mailboxes, policy, status
from services.capture.operations.context import AdminPorts
from services.capture.operations.errors import AlreadyExists, NotFound
from services.capture.ports import SecretsUnavailable, StoreUnavailable

_log = logging.getLogger(__name__)
TRequest = TypeVar("TRequest")
TResponse = TypeVar("TResponse")
Context = grpc.aio.ServicerContext[Any, Any]

# What each error means to the caller; the message is safe to show as is.
_STATUS_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (Invalid, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (SecretsUnavailable, grpc.StatusCode.FAILED_PRECONDITION),
]


def _rpc(
    fn: Callable[[Any, TRequest, Context], Awaitable[TResponse]],
) -> Callable[[Any, TRequest, Context], Awaitable[TResponse]]:
    """Maps the operations' errors to gRPC status codes; anything unexpected is logged and INTERNAL."""

    @functools.wraps(fn)
    async def wrapper(self: Any, request: TRequest, context: Context) -> TResponse:
        try:
            return await fn(self, request, context)
        except StoreUnavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "storage unavailable, retry")
        except Exception as exc:
            for error, code in _STATUS_CODES:
                if isinstance(exc, error):
                    await context.abort(code, str(exc))
            _log.exception("CaptureAdmin call failed", extra={"rpc": fn.__name__})
            await context.abort(grpc.StatusCode.INTERNAL, "internal error")
        raise AssertionError("unreachable")  # abort raises

    return wrapper


class CaptureAdminServicer(capture_pb2_grpc.CaptureAdminServicer):
    """`groundtruth.capture.v1.CaptureAdmin` over the admin operations and their ports."""

    def __init__(self, admin: AdminPorts) -> None:
        self._admin = admin

    # --- connections ------------------------------------------------------------------------------

    @_rpc
    async def RegisterMicrosoftConnection(
        self, request: capture_pb2.RegisterMicrosoftConnectionRequest, context: Context
    ) -> capture_pb2.Connection:
        registration = messages.microsoft_registration(request)
        return messages.connection(await connections.register_microsoft_connection(self._admin, registration))

    @_rpc
    async def RegisterGoogleConnection(
        self, request: capture_pb2.RegisterGoogleConnectionRequest, context: Context
    ) -> capture_pb2.Connection:
        registration = messages.google_registration(request)
        return messages.connection(await connections.register_google_connection(self._admin, registration))

    @_rpc
    async def ListConnections(
        self, request: capture_pb2.ListConnectionsRequest, context: Context
    ) -> capture_pb2.ListConnectionsResponse:
        found = await connections.list_connections(self._admin, tenant_id=request.tenant_id)
        return capture_pb2.ListConnectionsResponse(connections=[messages.connection(c) for c in found])

    @_rpc
    async def DeleteConnection(
        self, request: capture_pb2.DeleteConnectionRequest, context: Context
    ) -> capture_pb2.DeleteConnectionResponse:
        await connections.delete_connection(
            self._admin, tenant_id=request.tenant_id, connection_id=request.connection_id
        )
        return capture_pb2.DeleteConnectionResponse()

    # --- mailboxes --------------------------------------------------------------------------------

    @_rpc
    async def UpsertMailboxes(
        self, request: capture_pb2.UpsertMailboxesRequest, context: Context
    ) -> capture_pb2.UpsertMailboxesResponse:
        views = await mailboxes.upsert_mailboxes(
            self._admin,
            tenant_id=request.tenant_id,
            connection_id=request.connection_id,
            mailboxes=messages.assignments(request.mailboxes),
        )
        return capture_pb2.UpsertMailboxesResponse(mailboxes=messages.mailbox_statuses(views))

    @_rpc
    async def RemoveMailbox(
        self, request: capture_pb2.RemoveMailboxRequest, context: Context
    ) -> capture_pb2.RemoveMailboxResponse:
        await mailboxes.remove_mailbox(self._admin, tenant_id=request.tenant_id, address=request.address)
        return capture_pb2.RemoveMailboxResponse()

    @_rpc
    async def EraseRep(
        self, request: capture_pb2.EraseRepRequest, context: Context
    ) -> capture_pb2.EraseRepResponse:
        removed = await mailboxes.erase_rep(self._admin, tenant_id=request.tenant_id, rep_id=request.rep_id)
        return capture_pb2.EraseRepResponse(mailboxes_removed=removed)

    # --- sync status and control ------------------------------------------------------------------

    @_rpc
    async def GetSyncStatus(
        self, request: capture_pb2.GetSyncStatusRequest, context: Context
    ) -> capture_pb2.GetSyncStatusResponse:
        views = await status.get_sync_status(
            self._admin, tenant_id=request.tenant_id, mailbox=request.mailbox
        )
        return capture_pb2.GetSyncStatusResponse(mailboxes=messages.mailbox_statuses(views))

    @_rpc
    async def TriggerSync(
        self, request: capture_pb2.TriggerSyncRequest, context: Context
    ) -> capture_pb2.TriggerSyncResponse:
        views = await status.trigger_sync(
            self._admin,
            tenant_id=request.tenant_id,
            mailbox=request.mailbox,
            full_resync=request.full_resync,
        )
        return capture_pb2.TriggerSyncResponse(mailboxes=messages.mailbox_statuses(views))

    # --- policy -----------------------------------------------------------------------------------

    @_rpc
    async def GetCapturePolicy(
        self, request: capture_pb2.GetCapturePolicyRequest, context: Context
    ) -> capture_pb2.CapturePolicy:
        return messages.policy(await policy.get_capture_policy(self._admin, tenant_id=request.tenant_id))

    @_rpc
    async def SetCapturePolicy(
        self, request: capture_pb2.SetCapturePolicyRequest, context: Context
    ) -> capture_pb2.CapturePolicy:
        wanted = request.policy
        stored = await policy.set_capture_policy(
            self._admin,
            tenant_id=wanted.tenant_id,
            capture_level=messages.capture_level(wanted.capture_level),
            internal_domains=wanted.internal_domains,
            excluded_addresses=wanted.excluded_addresses,
            excluded_domains=wanted.excluded_domains,
        )
        return messages.policy(stored)

    @_rpc
    async def GetRepExclusions(
        self, request: capture_pb2.GetRepExclusionsRequest, context: Context
    ) -> capture_pb2.RepExclusions:
        stored = await policy.get_rep_exclusions(
            self._admin, tenant_id=request.tenant_id, rep_id=request.rep_id
        )
        return messages.exclusions(stored)

    @_rpc
    async def SetRepExclusions(
        self, request: capture_pb2.SetRepExclusionsRequest, context: Context
    ) -> capture_pb2.RepExclusions:
        wanted = request.exclusions
        stored = await policy.set_rep_exclusions(
            self._admin,
            tenant_id=wanted.tenant_id,
            rep_id=wanted.rep_id,
            excluded_addresses=wanted.excluded_addresses,
            excluded_domains=wanted.excluded_domains,
        )
        return messages.exclusions(stored)
