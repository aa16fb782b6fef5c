"""Per-user pacing against Google's documented per-user limits, and per-user backoff after throttling.

Gmail charges quota units per method (15,000 units per user per minute); Calendar counts requests
(600 per user per minute). The tracker keeps a sliding 60-second window per (user, API) and says how
long to wait before a call would fit under the limit (with headroom, since other clients of the same
user share it). After a throttling error the user is blocked with exponential backoff, never longer
than `max_backoff_sec`, so one throttled mailbox never slows the others.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Api = Literal["gmail", "calendar"]

# developers.google.com/gmail/api/reference/quota (PROVIDERS.md section 6).
GMAIL_METHOD_UNITS: dict[str, int] = {
    "users.getProfile": 1,
    "users.history.list": 2,
    "users.messages.list": 5,
    "users.messages.get": 5,
    "users.threads.get": 10,
    "users.watch": 100,
    "users.stop": 50,
}
GMAIL_UNITS_PER_USER_MINUTE = 15_000
# developers.google.com/calendar/api/guides/quota (PROVIDERS.md section 7).
CALENDAR_REQUESTS_PER_USER_MINUTE = 600
_WINDOW_SEC = 60.0


def cost(api: Api, method: str) -> int:
    if api == "calendar":
        return 1
    return GMAIL_METHOD_UNITS.get(method, 5)


@dataclass
class _UserState:
    spent: deque[tuple[float, int]] = field(default_factory=deque)
    total: int = 0
    throttles: int = 0
    blocked_until: float = 0.0


class QuotaTracker:
    """Not thread-safe: use it from the event loop that schedules the calls."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        headroom: float = 0.9,
        base_backoff_sec: float = 1.0,
        max_backoff_sec: float = 64.0,
        rng: random.Random | None = None,
    ) -> None:
        self._clock = clock
        self._limits: dict[Api, float] = {
            "gmail": GMAIL_UNITS_PER_USER_MINUTE * headroom,
            "calendar": CALENDAR_REQUESTS_PER_USER_MINUTE * headroom,
        }
        self._base = base_backoff_sec
        self._max = max_backoff_sec
        self._rng = rng or random.Random()
        self._users: dict[tuple[str, Api], _UserState] = {}

    def _state(self, user: str, api: Api) -> _UserState:
        key = (user.lower(), api)
        state = self._users.get(key)
        if state is None:
            state = self._users[key] = _UserState()
        now = self._clock()
        while state.spent and state.spent[0][0] <= now - _WINDOW_SEC:
            state.total -= state.spent.popleft()[1]
        return state

    def used(self, user: str, api: Api) -> int:
        """Units (Gmail) or requests (Calendar) spent by this user in the last minute."""
        return self._state(user, api).total

    def record(self, user: str, api: Api, method: str, *, calls: int = 1) -> None:
        """Count calls that reached Google (successful or not: Google charges both)."""
        if calls <= 0:
            return
        state = self._state(user, api)
        units = cost(api, method) * calls
        state.spent.append((self._clock(), units))
        state.total += units

    def delay_before(self, user: str, api: Api, method: str, *, calls: int = 1) -> float:
        """Seconds to wait before these calls fit: the user's backoff, or until the window has room."""
        state = self._state(user, api)
        now = self._clock()
        wait = max(0.0, state.blocked_until - now)
        excess = state.total + cost(api, method) * calls - self._limits[api]
        if excess > 0:
            freed = 0
            for spent_at, units in state.spent:
                freed += units
                if freed >= excess:
                    wait = max(wait, spent_at + _WINDOW_SEC - now)
                    break
        return wait

    def note_throttled(self, user: str, api: Api, retry_after_sec: float | None = None) -> float:
        """Block the user after a rate-limit error; returns how long. Google's hint wins when given,
        else exponential backoff with full jitter on the consecutive-throttle count."""
        state = self._state(user, api)
        state.throttles += 1
        if retry_after_sec is not None:
            delay = min(retry_after_sec, self._max)
        else:
            ceiling = min(self._max, self._base * 2 ** (state.throttles - 1))
            delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        state.blocked_until = max(state.blocked_until, self._clock() + delay)
        return delay

    def note_success(self, user: str, api: Api) -> None:
        self._state(user, api).throttles = 0

    def limit(self, api: Api) -> int:
        """The documented per-user limit per minute (units for Gmail, requests for Calendar)."""
        return GMAIL_UNITS_PER_USER_MINUTE if api == "gmail" else CALENDAR_REQUESTS_PER_USER_MINUTE

    def usage(self) -> list[tuple[str, Api, int]]:
        """(user, api, used in the last minute) for every user seen, for the metrics."""
        return [(user, api, self._state(user, api).total) for user, api in list(self._users)]

    def blocked_for(self, user: str, api: Api) -> float:
        return max(0.0, self._state(user, api).blocked_until - self._clock())
