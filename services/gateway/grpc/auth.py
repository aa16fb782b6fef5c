"""The public gRPC service's edge: API-key authentication, request parsing and status codes.

`AuthInterceptor` wraps every method of `groundtruth.gateway.v1.Groundtruth` (health and reflection
stay open) so that, before the servicer runs:
- the `authorization: Bearer <key>` metadata is checked (UNAUTHENTICATED, RESOURCE_EXHAUSTED);
- the request bytes are parsed by us, so a malformed protobuf is INVALID_ARGUMENT (gRPC's own
  deserializer would answer INTERNAL);
and so that `GatewayError`s raised by the servicer become the status codes they mean.
The servicer reads the caller with `caller()`.
"""

from __future__ import annotations

import contextvars
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from groundtruth.gateway.v1.gateway_pb2 import IngestCrmEventsRequest
from plumbing.contracts.messages import text_problems
from plumbing.db.pool import is_transient_db_error
from services.gateway.domain.principal import Principal
from services.gateway.errors import (
    Conflict,
    GatewayError,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UpstreamUnavailable,
)
from services.gateway.ports import Credentials

_log = logging.getLogger(__name__)
_CALLER: contextvars.ContextVar[Principal] = contextvars.ContextVar("gateway_caller")
Context = grpc.aio.ServicerContext[Any, Any]

STATUS: dict[type[GatewayError], grpc.StatusCode] = {
    InvalidRequest: grpc.StatusCode.INVALID_ARGUMENT,
    IdempotencyKeyReused: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    Conflict: grpc.StatusCode.ABORTED,
    RateLimited: grpc.StatusCode.RESOURCE_EXHAUSTED,
    UpstreamUnavailable: grpc.StatusCode.UNAVAILABLE,
}


def caller() -> Principal:
    """The authenticated caller of the current RPC (set by `AuthInterceptor`)."""
    return _CALLER.get()


async def abort_with(context: Context, exc: GatewayError) -> None:
    code = next((c for t, c in STATUS.items() if isinstance(exc, t)), grpc.StatusCode.INTERNAL)
    trailing: tuple[tuple[str, str], ...] = ()
    if isinstance(exc, RateLimited):
        trailing = (("retry-after", str(max(1, math.ceil(exc.retry_after_sec)))),)
    await context.abort(code, str(exc), trailing_metadata=trailing)


async def _abort_unexpected(context: Context, exc: Exception, method: str) -> None:
    """A database outage is UNAVAILABLE (retry); anything else is INTERNAL and logged."""
    if is_transient_db_error(exc):
        _log.warning("database unavailable", extra={"method": method, "error": repr(exc)})
        await context.abort(grpc.StatusCode.UNAVAILABLE, "the database is unavailable; retry shortly")
    _log.exception("unhandled error", extra={"method": method})
    await context.abort(grpc.StatusCode.INTERNAL, "unexpected error; it has been logged")


class AuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, authenticator: Credentials, *, service: str) -> None:
        self._authenticator = authenticator
        self._prefix = f"/{service}/"

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None or not handler_call_details.method.startswith(self._prefix):
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler, method), response_serializer=handler.response_serializer
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(handler, method), response_serializer=handler.response_serializer
            )
        return handler

    async def _enter(self, handler: Any, raw: bytes, context: Context) -> Any:
        """Authenticate, then parse; returns the request or aborts the call."""
        metadata = dict(context.invocation_metadata() or ())
        authorization = metadata.get("authorization")
        if isinstance(authorization, bytes):
            authorization = authorization.decode(errors="replace")
        try:
            _CALLER.set(await self._authenticator.authenticate(authorization))
        except GatewayError as exc:
            await abort_with(context, exc)
        except Exception as exc:
            await _abort_unexpected(context, exc, "authenticate")
        try:
            request = handler.request_deserializer(raw)
        except (DecodeError, ValueError, TypeError):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "the request is not a valid protobuf message"
            )
        # The text rules REST applies through its schema (plumbing/contracts/text.py), on every
        # string of the request; CRM ingest applies them per event, so one bad event does not
        # refuse its batch.
        problems = [] if isinstance(request, IngestCrmEventsRequest) else text_problems(request)
        if problems:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(problems[:10]))
        return request

    def _unary(self, handler: Any, method: str) -> Callable[[bytes, Context], Awaitable[Any]]:
        async def behaviour(raw: bytes, context: Context) -> Any:
            request = await self._enter(handler, raw, context)
            try:
                return await handler.unary_unary(request, context)
            except GatewayError as exc:
                await abort_with(context, exc)
            except (grpc.aio.AbortError, grpc.aio.UsageError):
                raise
            except Exception as exc:
                await _abort_unexpected(context, exc, method)

        return behaviour

    def _stream(self, handler: Any, method: str) -> Callable[[bytes, Context], AsyncIterator[Any]]:
        async def behaviour(raw: bytes, context: Context) -> AsyncIterator[Any]:
            request = await self._enter(handler, raw, context)
            try:
                async for item in handler.unary_stream(request, context):
                    yield item
            except GatewayError as exc:
                await abort_with(context, exc)
            except (grpc.aio.AbortError, grpc.aio.UsageError):
                raise
            except Exception as exc:
                await _abort_unexpected(context, exc, method)

        return behaviour
