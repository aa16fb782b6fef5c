"""Graph over httpx: bearer tokens from MSAL, one request per gate slot, answers classified."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx
import orjson

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
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        self._http = httpx.AsyncClient(
            verify=verify,
            timeout=httpx.Timeout(timeout_sec, connect=10.0),
            # httpcore polls every idle pooled connection on each request: keep few idle ones.
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=32),
            # With a CA bundle configured, nothing in the environment may override it.
            trust_env=not ca_bundle,
        )

    async def close(self) -> None:
        await self._http.aclose()

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
                    response = await self._http.request(method, url, headers=headers, json=body)
                except httpx.TimeoutException as exc:
                    raise Unavailable(f"Graph timed out: {type(exc).__name__}") from exc
                except httpx.TransportError as exc:
                    raise Unavailable(f"Graph unreachable: {type(exc).__name__}") from exc
            if response.status_code == 401 and attempt == 1:
                # The token may have been revoked or expired early: retry once with a newly issued one.
                rejected = token
                continue
            if response.status_code == 404 and missing_ok:
                return None
            fault = classify(response.status_code, response.content, response.headers.get("retry-after"))
            if fault is not None:
                raise fault
            if response.status_code == 204 or not response.content:
                return {}
            try:
                # orjson: parsing pages is the largest single cost of a backfill.
                parsed = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                parsed = _lenient_json(response.content)
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
