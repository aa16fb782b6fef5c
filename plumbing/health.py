"""Liveness and readiness, shared by the HTTP endpoints and the standard gRPC health service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from grpc_health.v1 import health_pb2
from grpc_health.v1._async import HealthServicer

_log = logging.getLogger(__name__)
Check = Callable[[], Awaitable[bool]]


class Readiness:
    """Named dependency checks; ready when every check passes.

    Each check must answer quickly (it is called on every `/readyz`) and must not raise: a failing
    dependency answers False.
    """

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        self._checks[name] = check

    async def evaluate(self) -> dict[str, bool]:
        names = list(self._checks)
        results = await asyncio.gather(*(self._safe(self._checks[n]) for n in names))
        return dict(zip(names, results, strict=True))

    @staticmethod
    async def _safe(check: Check) -> bool:
        try:
            return await asyncio.wait_for(check(), timeout=2.0)
        except Exception:
            return False


async def publish_readiness(
    readiness: Readiness, servicer: HealthServicer, service_names: list[str], *, interval_sec: float = 2.0
) -> None:
    """Mirror readiness into the gRPC health service ("" and each service name) until cancelled."""
    serving = health_pb2.HealthCheckResponse.SERVING
    not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
    last: bool | None = None
    while True:
        ready = all((await readiness.evaluate()).values())
        if ready != last:
            for name in ["", *service_names]:
                await servicer.set(name, serving if ready else not_serving)
            _log.info("readiness changed", extra={"ready": ready})
            last = ready
        await asyncio.sleep(interval_sec)


@contextlib.asynccontextmanager
async def readiness_publisher(
    readiness: Readiness, servicer: HealthServicer, service_names: list[str]
) -> AsyncIterator[None]:
    task = asyncio.create_task(publish_readiness(readiness, servicer, service_names))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
