"""Leadership signals per kind: what managers and executives open and submit in the CRM.

"All pipeline reviews conducted in the CRM", "forecasts pulled directly from CRM" (docs/scoring.md,
"Leadership signals"): the CRM plugin reports a `crm_viewed` event (report, dashboard, pipeline
review, forecast) and forecast submissions arrive as `forecast_submitted`. Ingest counts them per
person, day and kind (`count_crm_views`); rescoring reads the counts back as a `LeadershipUse` per
person, which the manager's reasons, team health, the leadership finding and the timeline's
"hold the pipeline-review rule" read.

Honest states: a tenant whose plugin reports no views at all is "not reported", never "no reviews".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeAlias

from services.scoring.domain.crm_events import CrmChange, CrmView, ForecastSubmission
from services.scoring.domain.instants import day_of, monday_of

REPORT, DASHBOARD, PIPELINE_REVIEW, FORECAST = "report", "dashboard", "pipeline_review", "forecast"
FORECAST_SUBMITTED = "forecast_submitted"
VIEW_KINDS = (REPORT, DASHBOARD, PIPELINE_REVIEW, FORECAST, FORECAST_SUBMITTED)
ViewDayKey: TypeAlias = tuple[str, str, date, str]  # tenant, rep, day, kind


def count_crm_views(fresh: Iterable[CrmChange]) -> dict[ViewDayKey, int]:
    """Views and forecast submissions per person, day (UTC) and kind, of events not applied before
    (the caller passes only fresh events, so each is counted once). Pure."""
    counts: dict[ViewDayKey, int] = {}
    for change in fresh:
        body = change.body
        if isinstance(body, CrmView) and body.kind:
            key = (change.tenant_id, change.rep_id, day_of(body.login_us), body.kind)
        elif isinstance(body, ForecastSubmission) and change.rep_id:
            key = (change.tenant_id, change.rep_id, day_of(body.submitted_us), FORECAST_SUBMITTED)
        else:
            continue
        counts[key] = counts.get(key, 0) + 1
    return counts


REVIEW_LOOKBACK_WEEKS = 13  # as far back as the trend goes (a quarter: the 90-day mark)


@dataclass(frozen=True, slots=True)
class LeadershipUse:
    """One person's leadership signals: days in the scoring window by kind, and the Mondays of the
    weeks they ran a pipeline review in the CRM. `reported_since` is the first day the tenant's plugin
    reported any view (of anyone) in the period read; None: nothing here is known, and no week before
    that day is judged."""

    reported_since: date | None
    window_days: int
    pipeline_review_days: int = 0
    forecast_days: int = 0  # a forecast pulled (viewed) or submitted in the CRM
    report_days: int = 0  # a report or a dashboard opened
    review_weeks: frozenset[date] = frozenset()

    @property
    def reported(self) -> bool:
        return self.reported_since is not None

    def judged(self, mondays: Iterable[date], as_of: date) -> list[date]:
        """Of these weeks, the ones that can be judged: complete by `as_of`, and not before the
        tenant's plugin reported views."""
        if self.reported_since is None:
            return []
        first = monday_of(self.reported_since)
        return [m for m in mondays if m >= first and m + timedelta(days=6) <= as_of]

    def reviewed(self, mondays: Iterable[date]) -> int:
        return sum(1 for m in mondays if m in self.review_weeks)


NOT_REPORTED = LeadershipUse(reported_since=None, window_days=0)


def window_weeks(as_of: date, window_days: int) -> list[date]:
    """The Mondays of the weeks that start within the window ending `as_of`, oldest first."""
    start = as_of - timedelta(days=window_days - 1)
    first = monday_of(start) + timedelta(days=7 * (start.weekday() != 0))
    return [first + timedelta(days=7 * n) for n in range((monday_of(as_of) - first).days // 7 + 1)]


def lookback_start(as_of: date, window_days: int) -> date:
    """The first day whose views rescoring reads: the window, and the weeks the trend shows."""
    window_start = as_of - timedelta(days=window_days - 1)
    return min(window_start, monday_of(as_of) - timedelta(days=7 * (REVIEW_LOOKBACK_WEEKS - 1)))


def leadership_use(
    rows: Iterable[tuple[str, date, str, int]], *, as_of: date, window_days: int
) -> dict[str, LeadershipUse]:
    """Each person's `LeadershipUse` from rows (rep, day, kind, views) read since `lookback_start`;
    use `use_of` for a person without rows. Views are reported from the first `crm_viewed` of anyone:
    forecast submissions alone come from the CRM, not from a plugin reporting views, so they say
    nothing about reviews (everyone's use is then unknown). Pure."""
    window_start = as_of - timedelta(days=window_days - 1)
    days: dict[str, dict[str, set[date]]] = {}
    weeks: dict[str, set[date]] = {}
    first: date | None = None
    for rep, day, kind, views in rows:
        if views <= 0:
            continue
        if kind != FORECAST_SUBMITTED:  # forecasts come from the CRM itself, not the plugin's views
            first = day if first is None else min(first, day)
        days.setdefault(rep, {})
        if kind == PIPELINE_REVIEW:
            weeks.setdefault(rep, set()).add(monday_of(day))
        if day >= window_start:
            group = FORECAST if kind == FORECAST_SUBMITTED else REPORT if kind == DASHBOARD else kind
            days[rep].setdefault(group, set()).add(day)
    if first is None:
        return {}  # the plugin reports no views: everyone's use is unknown
    return {
        rep: LeadershipUse(
            reported_since=first,
            window_days=window_days,
            pipeline_review_days=len(by_kind.get(PIPELINE_REVIEW, ())),
            forecast_days=len(by_kind.get(FORECAST, ())),
            report_days=len(by_kind.get(REPORT, ())),
            review_weeks=frozenset(weeks.get(rep, ())),
        )
        for rep, by_kind in days.items()
    }


def use_of(found: Mapping[str, LeadershipUse], rep_id: str, window_days: int) -> LeadershipUse:
    """The person's use; someone without a view is "none" when the tenant reports views, else
    unknown."""
    use = found.get(rep_id)
    if use is not None:
        return use
    if not found:
        return NOT_REPORTED
    since = min(u.reported_since for u in found.values() if u.reported_since is not None)
    return LeadershipUse(reported_since=since, window_days=window_days)


def leadership_reasons(use: LeadershipUse, as_of: date) -> tuple[str, ...]:
    """A manager's leadership signals in words, for their own line ("what the team sees them do")."""
    if not use.reported:
        return ()  # unknown, not "never": team health says the plugin reports no views
    judged = use.judged(window_weeks(as_of, use.window_days), as_of)
    days = use.window_days
    reviews = (
        f"ran the pipeline review in the CRM in {use.reviewed(judged)} of the last {len(judged)} weeks"
        if judged
        else f"ran the pipeline review in the CRM on {use.pipeline_review_days} of the last {days} days"
    )
    return (
        reviews,
        f"pulled or submitted a forecast in the CRM on {use.forecast_days} of the last {days} days",
    )


@dataclass(frozen=True, slots=True)
class LeadershipSummary:
    """A team manager's leadership signals as team health shows them."""

    manager_rep_id: str
    use: LeadershipUse
    weeks_judged: int
    weeks_reviewed: int
    target_share: float

    @property
    def meets_target(self) -> bool:
        return self.use.reported and self.weeks_reviewed >= self.target_share * self.weeks_judged


def leadership_summary(
    manager_rep_id: str, use: LeadershipUse, as_of: date, target: float
) -> LeadershipSummary:
    judged = use.judged(window_weeks(as_of, use.window_days), as_of)
    return LeadershipSummary(manager_rep_id, use, len(judged), use.reviewed(judged), target)
