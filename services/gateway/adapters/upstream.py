"""Calling scoring and capture over gRPC, with their failures turned into gateway errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from plumbing.tls import MeshTls
from services.gateway.errors import Conflict, GatewayError, InvalidRequest, NotFound, UpstreamUnavailable

_log = logging.getLogger(__name__)
TResponse = TypeVar("TResponse")


class UpstreamChannel:
    """Owns one channel to a backing service; `close()` releases it."""

    def __init__(self, name: str, target: str, *, tls: MeshTls, timeout_sec: float) -> None:
        self.name = name
        # Mutual TLS: the upstream proves it is of the mesh, and so does the gateway.
        self.channel = tls.channel(target, options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)])
        self.timeout_sec = timeout_sec

    async def close(self) -> None:
        await self.channel.close()

    async def reachable(self) -> bool:
        try:
            await self.channel.channel_ready()
        except Exception:
            return False
        return True

    async def call(self, method: Callable[..., Awaitable[TResponse]], request: Any) -> TResponse:
        try:
            return await method(request, timeout=self.timeout_sec)
        except grpc.aio.AioRpcError as exc:
            raise translate(self.name, exc) from exc


def translate(upstream: str, exc: grpc.aio.AioRpcError) -> GatewayError:
    """What the caller should see when a backing service refuses or fails a request."""
    code = exc.code()
    details = exc.details() or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidRequest(details or "invalid request")
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(details or "not found")
    if code in (grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED):
        return Conflict(details or "the request conflicts with the current state")
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return UpstreamUnavailable(f"{upstream} does not offer this yet")
    _log.warning("upstream call failed", extra={"upstream": upstream, "code": code.name, "details": details})
    return UpstreamUnavailable(f"{upstream} is unavailable ({code.name})")
