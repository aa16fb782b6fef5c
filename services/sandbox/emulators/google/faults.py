"""Failures on demand (rate-limit bursts, 5xx) and Google's per-user quotas, enforced per minute."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from services.sandbox.emulators.google.errors import (
    ApiError,
    rate_limit_exceeded,
    server_error,
    user_rate_limit_exceeded,
)

Api = Literal["gmail", "calendar"]
FaultKind = Literal["userRateLimitExceeded", "rateLimitExceeded", "serverError"]

# Gmail quota units per method (developers.google.com/gmail/api/reference/quota; PROVIDERS.md §6).
GMAIL_METHOD_UNITS = {
    "users.getProfile": 1,
    "users.history.list": 2,
    "users.messages.list": 5,
    "users.messages.get": 5,
    "users.watch": 100,
    "users.stop": 50,
}
GMAIL_USER_UNITS_PER_MINUTE = 15_000
CALENDAR_USER_REQUESTS_PER_MINUTE = 600


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int

    def error(self, api: Api) -> ApiError:
        if self.kind == "userRateLimitExceeded":
            return user_rate_limit_exceeded(api=api)
        if self.kind == "rateLimitExceeded":
            return rate_limit_exceeded(self.status, api=api)
        return server_error(self.status, api=api)


class Faults:
    """Queued failures per (user, api): each API call of that user takes the next one, if any."""

    def __init__(self) -> None:
        self._queued: dict[tuple[str, Api], deque[Fault]] = defaultdict(deque)

    def inject(
        self, user: str, api: Api, kind: FaultKind, *, count: int = 1, status: int | None = None
    ) -> None:
        if kind == "userRateLimitExceeded":
            status = status or 403
        elif kind == "rateLimitExceeded":
            status = status or 429
        else:
            status = status or 503
        if (kind, status) not in {
            ("userRateLimitExceeded", 403),
            ("rateLimitExceeded", 403),
            ("rateLimitExceeded", 429),
            ("serverError", 500),
            ("serverError", 503),
        }:
            raise ValueError(f"Google does not answer {kind} with {status}")
        self._queued[(user.lower(), api)].extend(Fault(kind, status) for _ in range(count))

    def take(self, user: str, api: Api) -> ApiError | None:
        queue = self._queued.get((user, api))
        if not queue:
            return None
        return queue.popleft().error(api)

    def pending(self, user: str, api: Api) -> int:
        return len(self._queued.get((user.lower(), api), ()))


class QuotaEnforcer:
    """Per-user quotas over a sliding 60 s window: Gmail units, Calendar requests.

    A call that would exceed the user's budget is refused with 403 userRateLimitExceeded and costs
    nothing, as Google documents for the per-user limits.
    """

    def __init__(self, *, enabled: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self.gmail_units_per_minute = GMAIL_USER_UNITS_PER_MINUTE
        self.calendar_requests_per_minute = CALENDAR_USER_REQUESTS_PER_MINUTE
        self._spent: dict[tuple[str, Api], deque[tuple[float, int]]] = defaultdict(deque)
        self._clock = clock

    def charge(self, user: str, api: Api, method: str) -> ApiError | None:
        if not self.enabled:
            return None
        cost = GMAIL_METHOD_UNITS.get(method, 5) if api == "gmail" else 1
        budget = self.gmail_units_per_minute if api == "gmail" else self.calendar_requests_per_minute
        now = self._clock()
        window = self._spent[(user, api)]
        while window and window[0][0] <= now - 60.0:
            window.popleft()
        if sum(units for _, units in window) + cost > budget:
            return user_rate_limit_exceeded(api=api)
        window.append((now, cost))
        return None
