"""Fixtures shared by every suite. Infrastructure fixtures start only when a test asks for them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(
    probe: Callable[[], Awaitable[bool]], *, timeout_sec: float = 20.0, interval_sec: float = 0.05
) -> None:
    """Wait until `probe()` is true; fail with a clear message when it never becomes true."""
    deadline = time.monotonic() + timeout_sec
    while True:
        if await probe():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_sec}s: {probe!r}")
        await asyncio.sleep(interval_sec)
