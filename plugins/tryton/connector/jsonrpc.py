"""`TrytonRpc`: Tryton's JSON-RPC (what its web client speaks), async, with its value encoding.

Tryton answers `POST /<database>/rpc/` with `{"result": ...}` or `{"error": [...]}`; dates, times and
decimals travel as `{"__class__": "datetime", ...}` objects. A session comes from `common.db.login`
and is sent as `Authorization: Session base64(login:user id:key)`; when Tryton ends it (401 after its
timeout) the client logs in again once and repeats the call.

Failures are typed: `TrytonUnavailable` when no usable answer came (refused, timeout, 5xx, database
locked): the caller retries later and loses nothing; `TrytonError` when Tryton refused the call itself
(an access error, a validation error): retrying the same call will not help.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import itertools
import json
from collections.abc import Mapping
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx

JsonValue = Any  # what Tryton's JSON carries: dicts, lists, str, numbers, datetimes, Decimals


class TrytonUnavailable(Exception):
    """No usable answer: the server is down, restarting, overloaded or its database is locked."""


class TrytonError(Exception):
    """Tryton refused the call (access, validation, missing method); `detail` is its message."""

    def __init__(self, method: str, detail: str) -> None:
        super().__init__(f"{method}: {detail}")
        self.method = method
        self.detail = detail


def encode(value: object) -> object:
    """`json.dumps` default hook: Tryton's encoding of the values JSON lacks."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, dt.date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot send {type(value).__name__} to Tryton")


def decode(obj: dict[str, Any]) -> object:
    """`json.loads` object hook: Tryton's datetimes (naive UTC, made aware), dates and decimals."""
    kind = obj.get("__class__")
    if kind == "datetime":
        return dt.datetime(
            obj["year"], obj["month"], obj["day"], obj["hour"], obj["minute"], obj["second"],
            obj["microsecond"], tzinfo=dt.UTC,
        )  # fmt: skip
    if kind == "date":
        return dt.date(obj["year"], obj["month"], obj["day"])
    if kind == "Decimal":
        return Decimal(obj["decimal"])
    if kind == "timedelta":
        return dt.timedelta(seconds=obj["seconds"])
    if kind == "bytes":
        return base64.b64decode(obj["base64"])
    return obj


def _error_text(error: object) -> str:
    if isinstance(error, list | tuple) and error:
        if error[0] == "UserError" and len(error) > 1 and isinstance(error[1], list | tuple):
            return str(error[1][0])
        return str(error[0])
    return str(error)


_UNAVAILABLE_ERRORS = ("DatabaseOperationalError", "database is locked", "OperationalError")


class TrytonRpc:
    """One HTTP connection pool and one session on one Tryton database. Not shared across loops."""

    def __init__(
        self,
        url: str,
        database: str,
        login: str,
        password: str,
        *,
        timeout_sec: float = 30.0,
        language: str = "en",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._rpc_url = f"{url.rstrip('/')}/{database}/rpc/"
        self._login, self._password, self._language = login, password, language
        self._http = httpx.AsyncClient(timeout=timeout_sec, transport=transport, trust_env=False)
        self._authorization: str | None = None
        self._login_lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self.user_id: int | None = None
        self.context: dict[str, JsonValue] = {}

    async def __aenter__(self) -> TrytonRpc:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def login(self) -> None:
        """Open a session (Tryton records it as a login of this user) and read the user's context."""
        result = await self._post(
            "common.db.login", [self._login, {"password": self._password}, self._language]
        )
        user_id, key = int(result[0]), str(result[1])
        token = base64.b64encode(f"{self._login}:{user_id}:{key}".encode()).decode()
        self._authorization = f"Session {token}"
        self.user_id = user_id
        self.context = dict(await self._post("model.res.user.get_preferences", [True, {}]))

    async def call(
        self, method: str, *params: JsonValue, context: Mapping[str, JsonValue] | None = None
    ) -> JsonValue:
        """`model.<name>.<method>` with `params`; the user's context (with `context` over it) is
        appended as Tryton expects. Safe to call from concurrent tasks."""
        if self._authorization is None:
            await self._login_once(None)
        try:
            return await self._post(method, [*params, {**self.context, **(context or {})}])
        except _SessionEnded:
            await self._login_once(self._authorization)
            return await self._post(method, [*params, {**self.context, **(context or {})}])

    async def _login_once(self, expired: str | None) -> None:
        """Log in unless another task already replaced the session `expired`."""
        async with self._login_lock:
            if self._authorization == expired:
                await self.login()

    async def search_read(
        self,
        model: str,
        domain: list[JsonValue],
        fields: list[str],
        *,
        order: list[tuple[str, str]] | None = None,
        limit: int | None = None,
        context: Mapping[str, JsonValue] | None = None,
    ) -> list[dict[str, JsonValue]]:
        rows = await self.call(f"model.{model}.search_read", domain, 0, limit, order, fields, context=context)
        return list(rows)

    async def _post(self, method: str, params: list[JsonValue]) -> JsonValue:
        body = json.dumps({"id": next(self._ids), "method": method, "params": params}, default=encode)
        headers = {"Content-Type": "application/json"}
        if self._authorization and method != "common.db.login":
            headers["Authorization"] = self._authorization
        try:
            response = await self._http.post(self._rpc_url, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise TrytonUnavailable(f"{method}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 401 and method != "common.db.login":
            raise _SessionEnded(method)
        if response.status_code in (401, 403) and method == "common.db.login":
            raise TrytonError(method, "login refused (wrong user or password)")
        if response.status_code == 403:
            raise TrytonError(method, "forbidden (no such RPC method, or not for this user)")
        if response.status_code == 429 or response.status_code >= 500:
            raise TrytonUnavailable(f"{method}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise TrytonError(method, f"HTTP {response.status_code}: {response.text[:200]}")
        payload = json.loads(response.content, object_hook=decode)
        if "error" in payload and payload["error"] is not None:
            text = _error_text(payload["error"])
            if any(marker in text for marker in _UNAVAILABLE_ERRORS):
                raise TrytonUnavailable(f"{method}: {text}")
            raise TrytonError(method, text)
        return payload.get("result")


class _SessionEnded(Exception):
    """Tryton answered 401 to a session it ended (timeout, logout): log in again."""
