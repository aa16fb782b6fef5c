"""A deliberately minimal HTTP/1.1 client for the benchmark's ceiling.

The ceiling is meant to measure what the emulator can serve, so the client reading it must cost next
to nothing: httpx spends ~0.5-1 ms of CPU per request in this process, which on this two-core machine
made the "ceiling" a measure of httpx instead (Google's backfill is one request per message). This
client keeps connections alive in a pool per origin, writes a request in one `write`, and reads a
response by Content-Length (or chunks). It is only for trusted local emulators.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import defaultdict
from urllib.parse import urlencode, urlsplit

_Origin = tuple[str, str, int]  # scheme, host, port
_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class RawHttpError(Exception):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:200]!r}")
        self.status = status


class RawHttp:
    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, max_connections: int = 256) -> None:
        self._ssl = ssl_context
        self._idle: dict[_Origin, list[_Connection]] = defaultdict(list)
        self._open = asyncio.Semaphore(max_connections)

    async def close(self) -> None:
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()

    async def get(self, url: str, headers: dict[str, str], params: object = None) -> bytes:
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"  # type: ignore[arg-type]
        return await self.request("GET", url, headers)

    async def request(self, method: str, url: str, headers: dict[str, str], body: bytes = b"") -> bytes:
        """The response body of a 2xx answer; `RawHttpError` otherwise."""
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or "127.0.0.1"
        origin = (scheme, host, parts.port or (443 if scheme == "https" else 80))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host}:{origin[2]}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        async with self._open:
            reader, writer = await self._connection(origin)
            writer.write(request)
            status, content, keep = await _response(reader)
            if keep:
                self._idle[origin].append((reader, writer))
            else:
                writer.close()
        if not 200 <= status < 300:
            raise RawHttpError(status, content)
        return content

    async def _connection(self, origin: _Origin) -> _Connection:
        idle = self._idle[origin]
        while idle:
            reader, writer = idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer
        scheme, host, port = origin
        return await asyncio.open_connection(host, port, ssl=self._ssl if scheme == "https" else None)


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, rest = head.partition(b"\r\n")
    status = int(status_line[9:12])
    length, chunked, keep = None, False, True
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            keep = False
    if chunked:
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        return status, bytes(body), keep
    if length is None:
        return status, await reader.read(), False
    return status, await reader.readexactly(length), keep
