"""Graph over aiohttp: bearer tokens from MSAL, one request per gate slot, answers classified.

aiohttp rather than httpx, by measurement (`tests/bench/http_clients.py`, docs/capture.md): on a
Graph-sized page with capture's concurrency httpx spent ~2.2 ms of CPU per request, aiohttp ~0.3 ms.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import aiohttp
import orjson
from yarl import URL

from services.capture.domain.faults import Unavailable
from services.capture.ports import SyncContext
from services.capture.providers.microsoft.auth import MsalTokens
from services.capture.providers.microsoft.errors import classify

JsonObject = dict[str, Any]


class GraphClient:
    """Requests go to absolute URLs: the ones Graph handed out (followed verbatim) or ones built from
    the configured base URL for first requests."""

    def __init__(
        self,
        *,
        base_url: str,
        tokens: MsalTokens,
        ca_bundle: str = "",
        timeout_sec: float = 30.0,
        max_connections: int = 100,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._ssl: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        self._timeout = aiohttp.ClientTimeout(total=timeout_sec, connect=10.0)
        self._max_connections = max_connections
        # With a CA bundle configured, nothing in the environment (proxies) may come in between.
        self._trust_env = not ca_bundle
        self._session: aiohttp.ClientSession | None = None  # made on first use, inside the event loop

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, ssl=self._ssl),
                timeout=self._timeout,
                trust_env=self._trust_env,
                json_serialize=lambda value: orjson.dumps(value).decode(),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self,
        ctx: SyncContext,
        method: str,
        url: str,
        *,
        prefer: str | None = None,
        body: JsonObject | None = None,
        missing_ok: bool = False,
    ) -> JsonObject | None:
        """The JSON answer (empty dict for 204). None for a 404 when `missing_ok`. Raises a fault."""
        rejected: str | None = None
        for attempt in (1, 2):
            token = await self._tokens.token(ctx.connection, rejected=rejected)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if prefer:
                headers["Prefer"] = prefer
            async with ctx.gate.slot():
                try:
                    # encoded=True: Graph's nextLink and deltaLink are followed verbatim, never re-quoted.
                    async with self._http().request(
                        method, URL(url, encoded=True), headers=headers, json=body
                    ) as response:
                        status, retry_after = response.status, response.headers.get("Retry-After")
                        content = await response.read()
                except TimeoutError as exc:
                    raise Unavailable(f"Graph timed out: {type(exc).__name__}") from exc
                except aiohttp.ClientError as exc:
                    raise Unavailable(f"Graph unreachable: {type(exc).__name__}") from exc
            if status == 401 and attempt == 1:
                # The token may have been revoked or expired early: retry once with a newly issued one.
                rejected = token
                continue
            if status == 404 and missing_ok:
                return None
            fault = classify(status, content, retry_after)
            if fault is not None:
                raise fault
            if status == 204 or not content:
                return {}
            try:
                # orjson: parsing pages is the largest single cost of a backfill.
                parsed = orjson.loads(content)
            except orjson.JSONDecodeError:
                parsed = _lenient_json(content)
            if not isinstance(parsed, dict):
                raise Unavailable("Graph answered with JSON that is not an object")
            return parsed
        raise AssertionError("unreachable")  # pragma: no cover


def _lenient_json(content: bytes) -> Any:
    """What orjson refuses but is JSON still: an escaped lone surrogate ("\\ud800") in one item.
    The stdlib parser accepts it, so the item reaches the quarantine instead of failing the page."""
    try:
        return json.loads(content)
    except ValueError as exc:
        raise Unavailable("Graph answered with a body that is not JSON") from exc
