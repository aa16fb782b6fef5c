"""What a rep's scores are computed from: sums of the day counters and the state of their pipeline.

The store computes these sums set-based; the scoring functions only read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.scoring.domain.capture_reports import CaptureReport
from services.scoring.domain.leadership import NOT_REPORTED, LeadershipUse


@dataclass(frozen=True, slots=True)
class ActivityTotals:
    """Sums of the day counters over `days` days."""

    days: int
    login_days: int = 0
    write_days: int = 0
    crm_use_days: int = 0  # days with a login or a write
    items_synced: int = 0
    emails_sent: int = 0
    emails_received: int = 0
    meetings: int = 0
    external_matched: int = 0
    logs_entered: int = 0
    logs_within_24h: int = 0
    logs_late_48h: int = 0
    logs_catch_up_in_bursts: int = 0  # entered late on a day with a burst of logs
    logged_meetings: int = 0
    written_back: int = 0

    @property
    def external_activities(self) -> int:
        return self.emails_sent + self.emails_received + self.meetings

    @property
    def bulk_logs(self) -> int:
        return self.logs_late_48h + self.logs_catch_up_in_bursts


@dataclass(frozen=True, slots=True)
class PipelineTotals:
    """The rep's open opportunities as they are now."""

    open_opportunities: int = 0
    with_recent_activity: int = 0  # captured or logged activity in the last 7 days
    modified_recently: int = 0  # changed in the CRM in the last 7 days
    close_date_current: int = 0  # close date today or later
    next_step_present: int = 0
    required_fields_filled: int = 0
    required_fields_possible: int = 0  # open opportunities x required fields
    open_amount: float = 0.0
    open_amount_without_activity: float = 0.0


@dataclass(frozen=True, slots=True)
class CaptureObservation:
    """What the activity stream says about the rep's mailbox."""

    last_item_day: date | None  # the last day with any captured item (within the look-back)
    items_in_window: int
    # Capture's own reports on the rep's mailboxes (gt.capture.health.v1), judged first, at
    # `checked_at` against `max_report_age` (None: not read, only the flow is judged).
    reports: tuple[CaptureReport, ...] = ()
    checked_at: datetime | None = None
    max_report_age: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class RepInputs:
    tenant_id: str
    rep_id: str
    team_id: str
    as_of: date
    first_seen: date | None
    window: ActivityTotals
    last_14_days: ActivityTotals
    weeks: tuple[tuple[date, ActivityTotals], ...]  # (Monday, totals) oldest first; the last is this week
    pipeline: PipelineTotals
    capture: CaptureObservation
    median_hours_to_log: float | None = None
    owned_records: int = 0
    duplicate_records: int = 0
    unknown_contacts: int = 0
    past_data_quality: Mapping[date, float | None] = field(default_factory=dict)  # snapshots by Monday
    # The last day with a captured item within each of `weeks` (None: nothing that week), same order.
    last_item_by_week: tuple[date | None, ...] = ()
    records_created: int | None = None  # CRM records created in the window (None: not read)
    # Days the rep was out of office by their calendar, within the look-back (see `domain/away.py`).
    # The totals above already leave them out (and the days before the rep's start date).
    away_days: frozenset[date] = frozenset()
    contacts_created: int | None = None  # of those, contacts (an SDR's prospecting; None: not read)
    leadership: LeadershipUse = NOT_REPORTED  # report, review and forecast use of the CRM by kind
