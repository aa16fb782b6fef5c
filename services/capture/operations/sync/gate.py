"""Per-mailbox request admission: at most N provider requests in flight, none while throttled."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from services.capture.ports import MailboxPaused


class MailboxGate:
    """`RequestGate` for one mailbox.

    `pause(seconds)` (after a 429) makes every new `slot()` raise `MailboxPaused` until the pause
    ends; callers wait it out with `wait_unpaused()` while holding nothing else. The pause only ever
    extends, so two streams hit by the same throttle never shorten each other's wait.
    """

    def __init__(self, max_in_flight: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self._clock = clock
        self._paused_until = 0.0
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.peak_in_flight = 0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def remaining_pause(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    async def wait_unpaused(self) -> None:
        # A deadline that may move later while we sleep, so an Event would not do.
        while (remaining := self.remaining_pause()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(remaining)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if (remaining := self.remaining_pause()) > 0:
            raise MailboxPaused(remaining)
        async with self._semaphore:
            # A pause may have started while we queued for the semaphore.
            if (remaining := self.remaining_pause()) > 0:
                raise MailboxPaused(remaining)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1
