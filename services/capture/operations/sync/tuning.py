"""The engine's knobs (resolved once from settings by `wiring.py`) and its process-wide page lanes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from services.capture.domain.backoff import Backoff


@dataclass(frozen=True)
class Tuning:
    """How the engine schedules, retries and subscribes; see `config.Settings` for each knob."""

    poll_interval_sec: float = 300.0
    error_retry_sec: float = 300.0
    mailbox_refresh_sec: float = 10.0
    max_requests_per_mailbox: int = 4
    transient_retries: int = 5
    max_throttle_waits: int = 50
    max_resyncs_in_a_row: int = 1
    backoff: Backoff = field(default_factory=Backoff)
    subscription_lifetime: timedelta = timedelta(minutes=4230)
    push_enabled: bool = False
    # Health (issue 16): a chain answering this many empty pages in a row with a link to more, or a
    # pass reading more pages than this, is cut (`ChainStalled`); a pass longer than this is cut too;
    # no successful pass for `stale_after_polls` poll intervals reads `stale`.
    max_empty_pages: int = 20
    max_pages_per_pass: int = 20_000
    pass_timeout_sec: float = 1800.0
    stale_after_polls: float = 3.0
    # Large mailboxes (issue 16): pages of one chain in flight at once (the page being read plus the
    # pages read and not yet committed). 1 reads the next page only after the current one is committed.
    pipeline_depth: int = 2

    @property
    def stale_after_sec(self) -> float:
        return self.poll_interval_sec * self.stale_after_polls


class Lanes:
    """Process-wide page admission. Backfill pages and incremental pages have separate lanes, so a
    notification-triggered delta never queues behind thousands of backfill pages; together they
    bound how many pages (and so how much memory) are in flight."""

    def __init__(self, *, backfill: int, incremental: int) -> None:
        self._backfill = asyncio.Semaphore(backfill)
        self._incremental = asyncio.Semaphore(incremental)
        self.backfill_pages = 0  # in flight or waiting for the lane
        self.subscriptions = asyncio.Semaphore(8)  # subscription requests in flight

    async def admit(self, *, full_round: bool) -> Callable[[], None]:
        """Wait for a slot in the page's lane; returns its release (idempotent), which whoever ends the
        page's life calls: the reader when the read fails, the deliverer once the page is committed."""
        if not full_round:
            await self._incremental.acquire()
            return _once(self._incremental.release)
        self.backfill_pages += 1
        try:
            await self._backfill.acquire()
        except BaseException:
            self.backfill_pages -= 1
            raise

        def release() -> None:
            self.backfill_pages -= 1
            self._backfill.release()

        return _once(release)

    def backfilling(self) -> bool:
        """Some mailbox is in a full round right now (new push subscriptions wait for it to end)."""
        return self.backfill_pages > 0


def _once(action: Callable[[], None]) -> Callable[[], None]:
    done = False

    def run() -> None:
        nonlocal done
        if not done:
            done = True
            action()

    return run
