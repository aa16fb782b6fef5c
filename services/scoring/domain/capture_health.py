"""Is the rep's mailbox delivering activity? Capture's own word first, the activity stream second.

What capture reports (domain/capture_reports.py) decides when it names a broken mailbox or when it
stopped reporting; otherwise the health is inferred from the activity stream:

A working mailbox receives and sends external mail nearly every business day, so silence after a
steady flow means the connection broke, not that the rep stopped working: such a rep is never
called a ghost, and the team gets a diagnostic to reconnect the mailbox instead.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from services.scoring.domain.capture_reports import CaptureReport, Reported, judge_reports
from services.scoring.domain.instants import business_days_between
from services.scoring.domain.score_inputs import CaptureObservation
from services.scoring.domain.tenant_settings import TenantSettings


class CaptureStatus(StrEnum):
    HEALTHY = "healthy"
    SILENT = "silent"  # was delivering, then nothing for several business days
    MISSING = "missing"  # nothing captured at all in the look-back
    # Capture's own word (it comes first): the mailbox is broken, named with capture's reason.
    REVOKED = "revoked"
    APP_REVOKED = "app_revoked"
    REJECTED = "rejected"
    FAILING = "failing"
    STALE = "stale"
    NOT_REPORTING = "not_reporting"  # capture's last report is too old: unknown, never healthy
    AWAY = "away"  # the rep is out of office by their calendar (see `domain/away.py`)


class Source(StrEnum):
    CAPTURE = "capture"  # capture's own report decided
    ACTIVITY = "activity"  # inferred from the flow of activity


@dataclass(frozen=True, slots=True)
class CaptureHealth:
    status: CaptureStatus
    last_activity_date: date | None
    usual_items_per_business_day: float
    silent_business_days: int
    explanation: str
    source: Source = Source.ACTIVITY
    report: CaptureReport | None = None  # capture's report behind the judgement (the worst mailbox)

    @property
    def reported_by_capture(self) -> bool:
        return self.source is Source.CAPTURE


def capture_health(
    observation: CaptureObservation,
    *,
    as_of: date,
    window_start: date,
    first_seen: date | None,
    settings: TenantSettings,
) -> CaptureHealth:
    flow = _from_flow(
        observation, as_of=as_of, window_start=window_start, first_seen=first_seen, settings=settings
    )
    if observation.checked_at is None:
        return flow
    reported = judge_reports(
        observation.reports, now=observation.checked_at, max_age=observation.max_report_age
    )
    if reported is None:
        return flow
    if reported.verdict is Reported.WORKING:
        # Capture says nothing against the mailbox: the flow is judged, and capture's word shown.
        return dataclasses.replace(flow, report=reported.report)
    return dataclasses.replace(
        flow,
        status=CaptureStatus(reported.verdict.value),
        explanation=reported.explanation,
        source=Source.CAPTURE,
        report=reported.report,
    )


def _from_flow(
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
