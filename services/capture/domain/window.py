"""The rolling calendar window and the scope string that pins a cursor chain to it.

Providers encode a calendar window into their delta tokens (Graph calendarView), so a chain is only
valid for the window it started with. The window moves in steps (a week by default) rather than
daily: each move deliberately restarts that chain with a full sync of the new window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EPOCH_MONDAY = datetime(1970, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def scope(self) -> str:
        """Identifies the window in a stored cursor; a different scope means restart the chain."""
        return f"{self.start:%Y-%m-%dT%H:%M:%SZ}/{self.end:%Y-%m-%dT%H:%M:%SZ}"

    @classmethod
    def from_scope(cls, scope: str) -> Window:
        """Inverse of `scope`; raises ValueError on anything else."""
        start, _, end = scope.partition("/")
        return cls(
            datetime.fromisoformat(start.replace("Z", "+00:00")),
            datetime.fromisoformat(end.replace("Z", "+00:00")),
        )

    def contains(self, start: datetime, end: datetime) -> bool:
        """Overlap semantics, like calendarView: an event is in the window if any part of it is."""
        return start < self.end and end > self.start


def calendar_window(now: datetime, *, days_back: int, days_ahead: int, step_days: int) -> Window:
    """A window covering at least [now - days_back, now + days_ahead], aligned to `step_days`.

    The start is rounded down to a multiple of `step_days` since a fixed Monday, and the end is
    extended by one step, so the window only changes once every `step_days` and always covers the
    requested span.
    """
    step = timedelta(days=max(step_days, 1))
    earliest = now.astimezone(UTC) - timedelta(days=days_back)
    steps = (earliest - _EPOCH_MONDAY) // step
    start = _EPOCH_MONDAY + steps * step
    end = start + timedelta(days=days_back + days_ahead) + step
    return Window(start, end)
