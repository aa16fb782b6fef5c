"""A short-lived cache of rep scores with request coalescing.

Scores change only when scoring recomputes them, while dashboards and CRM record pages ask for the
same rep again and again. Answers are kept for `ttl_sec` (1 s by default; 0 turns the cache off),
and concurrent misses for the same rep share one upstream call. Keys include the tenant, so nothing
crosses tenants; erasing a rep evicts it at once on this replica (others within the TTL). Errors are
never cached.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from prometheus_client import Counter

TValue = TypeVar("TValue")
LOOKUPS = Counter("gt_gateway_score_cache_lookups_total", "Rep score reads by cache outcome", ["outcome"])
# The labelled children, looked up once: reads are hot and `labels()` costs a lock and a dict lookup.
_HIT, _COALESCED, _MISS = (LOOKUPS.labels(outcome) for outcome in ("hit", "coalesced", "miss"))


class ReadCache(Generic[TValue]):
    def __init__(
        self, *, ttl_sec: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_sec
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, TValue]] = OrderedDict()
        self._inflight: dict[tuple[str, str], asyncio.Future[TValue]] = {}

    async def get(self, key: tuple[str, str], load: Callable[[], Awaitable[TValue]]) -> TValue:
        if self._ttl <= 0:
            return await load()
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            _HIT.inc()
            return entry[1]
        pending = self._inflight.get(key)
        if pending is not None:
            _COALESCED.inc()
            return await asyncio.shield(pending)
        _MISS.inc()
        future: asyncio.Future[TValue] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await load()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so a failure nobody else awaited is not logged
            raise
        else:
            future.set_result(value)
            self._store(key, value)
            return value
        finally:
            del self._inflight[key]

    def evict(self, key: tuple[str, str]) -> None:
        self._entries.pop(key, None)

    def _store(self, key: tuple[str, str], value: TValue) -> None:
        self._entries[key] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
