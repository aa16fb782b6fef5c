"""How long to wait before retrying a provider: `Retry-After` when given, exponential backoff otherwise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Never trust a provider to park a mailbox for more than an hour on one answer.
MAX_RETRY_AFTER_SEC = 3600.0


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header, or None when absent or unreadable.

    Graph sends fractional seconds ("2.128"), so this parses with `float()`, never `int()`. An
    HTTP-date is accepted too. Negative, NaN and infinite values are unreadable; the result is capped.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
        return min(max(seconds, 0.0), MAX_RETRY_AFTER_SEC)
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER_SEC)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: attempt n waits uniformly in [base*2^n/2, base*2^n].

    Half the delay is kept fixed so a retry never fires immediately; `jitter` is a number in [0, 1)
    supplied by the caller (a random draw in production, a constant in tests).
    """

    initial_sec: float = 1.0
    max_sec: float = 60.0

    def delay(self, attempt: int, *, jitter: float) -> float:
        ceiling = min(self.max_sec, self.initial_sec * 2.0 ** max(attempt, 0))
        return ceiling / 2 + (ceiling / 2) * min(max(jitter, 0.0), 1.0)


def retry_delay(retry_after_sec: float | None, *, attempt: int, backoff: Backoff, jitter: float) -> float:
    """The provider's `Retry-After` wins whenever it was given; otherwise back off."""
    if retry_after_sec is not None:
        return retry_after_sec
    return backoff.delay(attempt, jitter=jitter)
