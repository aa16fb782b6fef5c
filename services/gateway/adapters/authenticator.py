"""API-key authentication, per-key rate limits and throttled last-used times.

Shared by the REST dependency and the gRPC interceptor, so both surfaces accept and refuse exactly
the same keys with the same messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from plumbing.db.pool import Pool
from services.gateway.adapters.key_store import find_key, touch_keys
from services.gateway.domain import api_keys, tokens
from services.gateway.domain.principal import Principal
from services.gateway.domain.rate_limit import RateLimiter
from services.gateway.domain.records import KeyRecord
from services.gateway.errors import RateLimited, Unauthenticated

_log = logging.getLogger(__name__)
_MAX_CACHED_KEYS = 50_000
INVALID_KEY = "the API key is not valid or has been revoked"


class LastUsedRecorder:
    """Remembers when keys were used and writes it at most once per key per `interval_sec`.

    `touch` never blocks and never does I/O; `flush` writes everything pending in one statement and
    is called by `run` periodically and once more on shutdown.
    """

    def __init__(
        self, pool: Pool, *, interval_sec: float, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._pool = pool
        self._interval_sec = interval_sec
        self._clock = clock
        self._written: dict[str, datetime] = {}
        self._pending: dict[str, datetime] = {}

    def touch(self, key_id: str) -> None:
        now = self._clock()
        last = self._written.get(key_id)
        if last is None or (now - last).total_seconds() >= self._interval_sec:
            self._written[key_id] = now
            self._pending[key_id] = now

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        try:
            await touch_keys(self._pool, pending)
        except Exception as exc:  # a lost last-used time is not worth failing for; keep it for later
            _log.warning("could not record key use", extra={"error": repr(exc), "keys": len(pending)})
            self._pending = {**pending, **self._pending}

    async def run(self) -> None:
        """Flush every few seconds until cancelled, then flush what is left."""
        try:
            while True:
                await asyncio.sleep(min(self._interval_sec, 5.0))
                await self.flush()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.flush())


class Authenticator:
    """Turns an `Authorization` value into a `Principal`, or raises `Unauthenticated`/`RateLimited`.

    Accepts API keys and the short-lived tokens `issue_token` signs for them (domain/tokens.py); a
    token stops working when it expires or when the key it came from is revoked, and it shares that
    key's rate limit. Key rows are cached for `cache_ttl_sec` (a revocation on another replica takes
    effect within that time; `forget` makes one on this replica immediate). Never writes on the
    request path.
    """

    def __init__(
        self,
        pool: Pool,
        *,
        pepper: bytes,
        cache_ttl_sec: float,
        limiter: RateLimiter,
        last_used: LastUsedRecorder,
        token_signing_key: bytes | None = None,
        token_ttl_sec: int = 900,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._pool = pool
        self._pepper = pepper
        self._token_key = token_signing_key or tokens.derive_signing_key(pepper)
        self._token_ttl_sec = token_ttl_sec
        self._wall_clock = wall_clock
        self._ttl = cache_ttl_sec
        self._limiter = limiter
        self._last_used = last_used
        self._clock = clock
        self._cache: dict[str, tuple[KeyRecord | None, float]] = {}

    async def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("an API key is required: send 'Authorization: Bearer <key>'")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <API key>'")
        if tokens.looks_like_token(token):
            return await self._from_token(token.strip())
        presented = api_keys.parse(token)
        if presented is None:
            raise Unauthenticated("the API key is malformed")
        record = await self._record(presented.key_id)
        if record is None or record.revoked_at is not None:
            raise Unauthenticated(INVALID_KEY)
        if not api_keys.verify(self._pepper, presented, record.secret_hash):
            raise Unauthenticated(INVALID_KEY)
        self._spend(record.key_id)
        return Principal(
            tenant_id=record.tenant_id, key_id=record.key_id, role=record.role, rep_id=record.rep_id
        )

    def issue_token(self, principal: Principal) -> tokens.IssuedToken:
        """A short-lived token carrying `principal` (the caller checks who may have one)."""
        return tokens.issue(self._token_key, principal, now=self._wall_clock(), ttl_sec=self._token_ttl_sec)

    async def _from_token(self, token: str) -> Principal:
        try:
            carried = tokens.verify(self._token_key, token, now=self._wall_clock())
        except tokens.InvalidToken as exc:
            raise Unauthenticated(str(exc)) from exc
        record = await self._record(carried.key_id)
        if record is None or record.revoked_at is not None or record.tenant_id != carried.tenant_id:
            raise Unauthenticated("the API key this token was issued for has been revoked")
        self._spend(record.key_id)
        # Role and rep come from the key as it is now, should they ever differ from the token's.
        return Principal(
            tenant_id=record.tenant_id,
            key_id=record.key_id,
            role=record.role,
            rep_id=record.rep_id,
            via_token=True,
        )

    def _spend(self, key_id: str) -> None:
        retry_after = self._limiter.acquire(key_id)
        if retry_after > 0:
            raise RateLimited(retry_after)
        self._last_used.touch(key_id)

    async def still_valid(self, principal: Principal) -> bool:
        """For long-lived calls (the streaming feed): has the key been revoked since?"""
        record = await self._record(principal.key_id)
        return record is not None and record.revoked_at is None

    def forget(self, key_id: str) -> None:
        self._cache.pop(key_id, None)

    async def _record(self, key_id: str) -> KeyRecord | None:
        now = self._clock()
        cached = self._cache.get(key_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        record = await find_key(self._pool, key_id)
        if len(self._cache) >= _MAX_CACHED_KEYS:
            self._cache.clear()
        self._cache[key_id] = (record, now + self._ttl)
        return record
