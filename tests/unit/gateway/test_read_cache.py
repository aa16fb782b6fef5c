from __future__ import annotations

import asyncio

import pytest

from services.gateway.adapters.read_cache import ReadCache
from services.gateway.ports import Cached


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.fail = False

    async def load(self) -> str:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("down")
        return f"answer-{self.calls}"


async def test_hits_within_ttl_and_reload_after_it() -> None:
    clock, upstream = Clock(), Upstream()
    upstream.release.set()
    cache: ReadCache[str] = ReadCache(ttl_sec=1.0, clock=clock)
    assert await cache.get(("acme", "rep-1"), upstream.load) == "answer-1"
    assert await cache.get(("acme", "rep-1"), upstream.load) == "answer-1"
    assert await cache.get(("globex", "rep-1"), upstream.load) == "answer-2"  # tenants never share
    clock.now = 1.5
    assert await cache.get(("acme", "rep-1"), upstream.load) == "answer-3"
    cache.evict(("acme", "rep-1"))
    assert await cache.get(("acme", "rep-1"), upstream.load) == "answer-4"


async def test_concurrent_misses_share_one_call_and_errors_are_not_kept() -> None:
    upstream = Upstream()
    cache: ReadCache[str] = ReadCache(ttl_sec=1.0, clock=Clock())
    waiting = [asyncio.create_task(cache.get(("acme", "rep-1"), upstream.load)) for _ in range(5)]
    await asyncio.sleep(0)
    upstream.release.set()
    assert await asyncio.gather(*waiting) == ["answer-1"] * 5
    assert upstream.calls == 1

    failing = Upstream()
    failing.fail = True
    failing.release.set()
    with pytest.raises(RuntimeError):
        await cache.get(("acme", "rep-2"), failing.load)
    failing.fail = False
    assert await cache.get(("acme", "rep-2"), failing.load) == "answer-2"


async def test_ttl_zero_turns_it_off() -> None:
    upstream = Upstream()
    upstream.release.set()
    cache: ReadCache[str] = ReadCache(ttl_sec=0, clock=Clock())
    await cache.get(("acme", "rep-1"), upstream.load)
    await cache.get(("acme", "rep-1"), upstream.load)
    assert upstream.calls == 2


def test_a_cached_answer_is_rendered_once() -> None:
    renders: list[str] = []

    def render(value: str) -> bytes:
        renders.append(value)
        return value.encode()

    cached = Cached("score")
    assert cached.render(render) == cached.render(render) == b"score"
    assert renders == ["score"]
