"""`python -m tests.bench.http_clients`: CPU microseconds per request of the HTTP clients capture could
use, on the same local server and page, to choose by measurement (docs/capture.md, HTTP client).

A uvicorn process serves one Graph-sized JSON page (100 items, ~40 KB); this process fetches it
`--requests` times with `--concurrency` in flight through httpx (as capture configures it), aiohttp
and the benchmark's minimal client (`capture/rawhttp.py`), parsing the JSON with orjson each time,
and reports this process's CPU per request (time.process_time), which a shared machine does not skew
the way it skews wall-clock rates. Also reported: the cost of one failed `import sniffio` (httpcore
asks for it several times per request; without the package each ask searches sys.path again).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import subprocess
import sys
import time
import timeit
from collections.abc import Awaitable, Callable

import orjson

from plumbing.embedded.process import free_port
from tests.bench.capture.rawhttp import RawHttp

SERVER = """
import orjson
page = orjson.dumps({"value": [{"id": "A" * 120, "subject": None, "from": {"emailAddress": {"address":
    "buyer@northwind.example"}}, "toRecipients": [{"emailAddress": {"address": "rep@contoso.example"}}] * 3,
    "receivedDateTime": "2026-11-01T10:00:00Z", "internetMessageId": "<x@y>", "conversationId": "C" * 80}
    for _ in range(100)], "@odata.nextLink": "http://127.0.0.1/next"})
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": page})
"""


async def _measure(
    name: str, fetch: Callable[[], Awaitable[bytes]], requests: int, concurrency: int
) -> float:
    slots = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with slots:
            orjson.loads(await fetch())

    await asyncio.gather(*(one() for _ in range(50)))  # warm the pools
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    per_request = 1e6 * (time.process_time() - cpu) / requests
    rate = requests / (time.perf_counter() - wall)
    print(f"{name:10s} {per_request:7.0f} us CPU per request ({rate:,.0f}/s)")
    return per_request


async def run(url: str, requests: int, concurrency: int) -> None:
    import aiohttp
    import httpx

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=64, max_keepalive_connections=32)) as hx:
        await _measure("httpx", lambda: _httpx(hx, url), requests, concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
        await _measure("aiohttp", lambda: _aiohttp(session, url), requests, concurrency)
    raw = RawHttp(max_connections=64)
    try:
        await _measure("minimal", lambda: raw.get(url, {}), requests, concurrency)
    finally:
        await raw.close()


async def _httpx(client: object, url: str) -> bytes:
    response = await client.get(url)  # type: ignore[attr-defined]
    return bytes(response.content)


async def _aiohttp(session: object, url: str) -> bytes:
    async with session.get(url) as response:  # type: ignore[attr-defined]
        return bytes(await response.read())


def failed_import_us() -> float:
    def attempt() -> None:
        with contextlib.suppress(ImportError):
            __import__("sniffio_not_installed_probe")

    return 1e6 * timeit.timeit(attempt, number=2000) / 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER + f"\nimport uvicorn\nuvicorn.run(app, port={port}, log_level='warning')",
        ],
        env={**os.environ},
    )
    try:
        time.sleep(3)
        print(f"sniffio installed: {importlib.util.find_spec('sniffio') is not None}")
        print(f"one failed import (what httpcore pays per ask without sniffio): {failed_import_us():.0f} us")
        asyncio.run(run(f"http://127.0.0.1:{port}/", args.requests, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
