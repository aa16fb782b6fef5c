"""Closed-loop load at a fixed concurrency, measured from the benchmark process.

HTTP uses a minimal keep-alive HTTP/1.1 client on asyncio streams (a full client library would cost
more CPU than the servers under test on this 2-core machine); gRPC uses grpc.aio with raw bytes.
Both generators are the same for the ceiling and the gateway, so their cost cancels in the ratio.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc


@dataclass
class LoadResult:
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]


async def closed_loop(
    one: Callable[[], Awaitable[bool]], *, concurrency: int, warmup_sec: float, duration_sec: float
) -> LoadResult:
    """Run `one` back to back in `concurrency` workers; only the measured window counts."""
    start = time.perf_counter() + warmup_sec
    end = start + duration_sec
    result = LoadResult(seconds=duration_sec)

    async def worker() -> None:
        while True:
            began = time.perf_counter()
            if began >= end:
                return
            ok = await one()
            finished = time.perf_counter()
            if began >= start:
                if ok:
                    result.latencies_ms.append((finished - began) * 1000)
                else:
                    result.errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result


Requests = Callable[[], bytes]  # makes the next request to send


class HttpConnection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self, request: bytes, *, not_found_ok: bool = False) -> bool:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        return status < 300 or (not_found_ok and status == 404)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()


def http_request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def http_load(
    port: int,
    requests: Requests,
    *,
    concurrency: int,
    warmup_sec: float,
    duration_sec: float,
    not_found_ok: bool = False,
) -> LoadResult:
    """Closed-loop load; a request counts when answered 2xx (or 404 with `not_found_ok`)."""
    connections = [HttpConnection("127.0.0.1", port) for _ in range(concurrency)]
    queue: asyncio.Queue[HttpConnection] = asyncio.Queue()
    for connection in connections:
        queue.put_nowait(connection)

    async def one() -> bool:
        connection = await queue.get()
        try:
            return await connection.send(requests(), not_found_ok=not_found_ok)
        finally:
            queue.put_nowait(connection)

    try:
        return await closed_loop(
            one, concurrency=concurrency, warmup_sec=warmup_sec, duration_sec=duration_sec
        )
    finally:
        for connection in connections:
            connection.close()


async def grpc_load(
    target: str,
    method: str,
    requests: Requests,
    metadata: tuple[tuple[str, str], ...],
    *,
    concurrency: int,
    warmup_sec: float,
    duration_sec: float,
    not_found_ok: bool = False,
) -> LoadResult:
    """Closed-loop load; a call counts when it succeeds (or ends NOT_FOUND with `not_found_ok`)."""
    async with grpc.aio.insecure_channel(target) as channel:
        call: Any = channel.unary_unary(method)  # bytes in, bytes out

        async def one() -> bool:
            try:
                await call(requests(), metadata=metadata, timeout=10)
            except grpc.aio.AioRpcError as error:
                return not_found_ok and error.code() == grpc.StatusCode.NOT_FOUND
            return True

        return await closed_loop(
            one, concurrency=concurrency, warmup_sec=warmup_sec, duration_sec=duration_sec
        )
