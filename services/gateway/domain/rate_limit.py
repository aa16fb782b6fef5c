"""Token buckets per API key: a steady rate with a burst allowance, on an injected clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class TokenBucket:
    rate_per_sec: float
    capacity: float
    tokens: float
    updated_at: float

    def take(self, now: float, cost: float = 1.0) -> float:
        """Spend `cost` tokens; returns 0 on success, else the seconds until they are available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated_at) * self.rate_per_sec)
        self.updated_at = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate_per_sec


class RateLimiter:
    """One bucket per key, in this process only (each replica enforces the limit on its own).

    Buckets that have refilled completely carry no information and are dropped when the table grows,
    so memory stays bounded by the keys active in the last `capacity / rate` seconds.
    """

    def __init__(
        self, *, rate_per_sec: float, burst: int, clock: Callable[[], float], max_buckets: int = 10_000
    ) -> None:
        self._rate = rate_per_sec
        self._capacity = float(max(1, burst))
        self._clock = clock
        self._max_buckets = max_buckets
        self._buckets: dict[str, TokenBucket] = {}

    def acquire(self, key: str) -> float:
        """0 when the request may proceed, else the seconds to wait (the Retry-After)."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_buckets:
                self._drop_full(now)
            bucket = self._buckets[key] = TokenBucket(self._rate, self._capacity, self._capacity, now)
        return bucket.take(now)

    def _drop_full(self, now: float) -> None:
        refill = self._capacity / self._rate
        for key in [k for k, b in self._buckets.items() if now - b.updated_at >= refill]:
            del self._buckets[key]
