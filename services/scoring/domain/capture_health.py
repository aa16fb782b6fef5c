"""Is the rep's mailbox delivering activity? Inferred from the activity stream alone.

A working mailbox receives and sends external mail nearly every business day, so silence after a
steady flow means the connection broke, not that the rep stopped working: such a rep is never
called a ghost, and the team gets a diagnostic to reconnect the mailbox instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.scoring.domain.instants import business_days_between
from services.scoring.domain.score_inputs import CaptureObservation
from services.scoring.domain.tenant_settings import TenantSettings


class CaptureStatus(StrEnum):
    HEALTHY = "healthy"
    SILENT = "silent"  # was delivering, then nothing for several business days
    MISSING = "missing"  # nothing captured at all in the look-back
    AWAY = "away"  # the rep is out of office by their calendar (see `domain/away.py`)


@dataclass(frozen=True, slots=True)
class CaptureHealth:
    status: CaptureStatus
    last_activity_date: date | None
    usual_items_per_business_day: float
    silent_business_days: int
    explanation: str


def capture_health(
    observation: CaptureObservation,
    *,
    as_of: date,
    window_start: date,
    first_seen: date | None,
    settings: TenantSettings,
) -> CaptureHealth:
    last = observation.last_item_day
    if last is None:
        return CaptureHealth(
            CaptureStatus.MISSING, None, 0.0, 0,
            "no e-mail or meeting has been captured for this rep: is the mailbox connected?",
        )  # fmt: skip
    # Today is not over: silence is counted in complete business days after the last item.
    silent = business_days_between(last + timedelta(days=1), as_of - timedelta(days=1))
    since = max(window_start, first_seen or window_start)
    active_days = business_days_between(since, last)
    usual = observation.items_in_window / active_days if active_days else float(observation.items_in_window)
    enough_history = usual >= settings.threshold("capture_silence_min_items_per_business_day")
    if silent >= settings.threshold("capture_silence_business_days") and enough_history:
        return CaptureHealth(
            CaptureStatus.SILENT, last, usual, silent,
            f"the mailbox usually delivers {usual:.1f} items per business day, but nothing has arrived "
            f"for {silent} business days since {last.isoformat()}",
        )  # fmt: skip
    return CaptureHealth(
        CaptureStatus.HEALTHY, last, usual, silent,
        f"last item captured on {last.isoformat()}; {usual:.1f} items per business day",
    )  # fmt: skip
