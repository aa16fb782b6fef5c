from __future__ import annotations

from services.gateway.domain.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_steady_rate_then_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_sec=2.0, burst=3, clock=clock)
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("k") == 0.5  # one token arrives every 0.5 s
    clock.now = 0.5
    assert limiter.acquire("k") == 0.0
    assert limiter.acquire("other") == 0.0  # buckets are per key


def test_idle_buckets_are_dropped_when_the_table_is_full() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_sec=1.0, burst=1, clock=clock, max_buckets=2)
    limiter.acquire("a")
    limiter.acquire("b")
    clock.now = 10.0
    limiter.acquire("c")
    assert set(limiter._buckets) == {"c"}
