"""Retrying work that fails for a while (the database or the broker is away) with capped backoff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are transient, and how long to wait between attempts (doubling, capped)."""

    is_transient: Callable[[BaseException], bool]
    initial_backoff_sec: float = 0.2
    max_backoff_sec: float = 10.0


class NotTransient(Exception):
    """The failure in `__cause__` will not go away by retrying."""


class Health:
    """Whether retried work is currently failing; read by the service's liveness and readiness."""

    def __init__(self) -> None:
        self.healthy = True


async def retry_transient(
    attempt: Callable[[], Awaitable[None]],
    policy: RetryPolicy,
    *,
    health: Health,
    on_retry: Callable[[], None],
) -> None:
    """Run `attempt` until it succeeds. Transient failures wait and try again, forever.

    Called from a step's background task, never from the driver: the waits block only that task, so
    the consumer keeps polling, and a rebalance or shutdown cancels the task after its join timeout.
    Raises `NotTransient` (from the failure) for a failure `policy.is_transient` rejects.
    """
    backoff = policy.initial_backoff_sec
    while True:
        try:
            await attempt()
        except Exception as exc:
            if not policy.is_transient(exc):
                raise NotTransient() from exc
            health.healthy = False
            on_retry()
            _log.warning("batch failed, retrying", extra={"error": repr(exc), "backoff_sec": backoff})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, policy.max_backoff_sec)
        else:
            health.healthy = True
            return
