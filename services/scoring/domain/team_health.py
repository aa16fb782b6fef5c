"""Team health: four numbers a sales leader tracks against targets, now and at 30/60/90 days live."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from services.scoring.domain.score_inputs import PipelineTotals
from services.scoring.domain.tenant_settings import TenantSettings

MILESTONE_DAYS = (30, 60, 90)


@dataclass(frozen=True, slots=True)
class ActivityStats:
    """CRM use of a group of reps over the 28 days ending on a given day."""

    members: int
    active_last_7_days: int  # members with a login or a change in the last 7 days
    active_last_28_days: int
    daily_active_business_days: tuple[int, ...]  # active members on each business day of the 28


@dataclass(frozen=True, slots=True)
class HealthMetric:
    name: str
    value: float | None  # None when not available
    target: float
    higher_is_better: bool
    explanation: str
    numerator: int = 0
    denominator: int = 0
    available: bool = True

    @property
    def meets_target(self) -> bool:
        if not self.available or self.value is None:
            return False
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


def sum_pipelines(pipelines: Iterable[PipelineTotals]) -> PipelineTotals:
    totals = PipelineTotals()
    for p in pipelines:
        totals = PipelineTotals(
            totals.open_opportunities + p.open_opportunities,
            totals.with_recent_activity + p.with_recent_activity,
            totals.modified_recently + p.modified_recently,
            totals.close_date_current + p.close_date_current,
            totals.next_step_present + p.next_step_present,
            totals.required_fields_filled + p.required_fields_filled,
            totals.required_fields_possible + p.required_fields_possible,
            totals.open_amount + p.open_amount,
            totals.open_amount_without_activity + p.open_amount_without_activity,
        )
    return totals


def activity_metrics(stats: ActivityStats, settings: TenantSettings) -> list[HealthMetric]:
    """Weekly and daily active users, both over every member the team expects in the CRM (not only
    those who used it: three daily users of the three who used it at all, in a team of six, is a team
    where half never open the CRM)."""
    th = settings.threshold
    if not stats.members:
        why = "the team has no member"
        return [
            _unavailable("weekly_active_users", th("target_weekly_active_users"), True, why),
            _unavailable("dau_mau", th("target_dau_mau"), True, why),
        ]
    wau = stats.active_last_7_days / stats.members
    days = stats.daily_active_business_days
    average_daily = sum(days) / len(days) if days else 0.0
    daily = average_daily / stats.members
    return [
        HealthMetric(
            "weekly_active_users", round(wau, 4), th("target_weekly_active_users"), True,
            f"{stats.active_last_7_days} of the {stats.members} reps logged in or changed something in the "
            "CRM in the last 7 days",
            stats.active_last_7_days, stats.members,
        ),
        HealthMetric(
            "dau_mau", round(daily, 4), th("target_dau_mau"), True,
            f"on an average business day of the last 4 weeks, {_people(average_daily)} of the "
            f"{stats.members} reps used the CRM ({stats.active_last_28_days} used it at least once)",
            round(average_daily), stats.members,
        ),
    ]  # fmt: skip


def _people(average: float) -> str:
    """An average head count people can picture: "about 3", "fewer than 1", "none"."""
    if average <= 0:
        return "none"
    if average < 0.5:
        return "fewer than 1"
    return f"about {round(average)}"


def pipeline_metrics(p: PipelineTotals, settings: TenantSettings) -> list[HealthMetric]:
    th = settings.threshold
    metrics = []
    if p.required_fields_possible:
        share = p.required_fields_filled / p.required_fields_possible
        metrics.append(
            HealthMetric(
                "required_field_completeness",
                round(share, 4),
                th("target_team_required_field_completeness"),
                True,
                f"{p.required_fields_filled} of {p.required_fields_possible} required fields are filled "
                "on open opportunities",
                p.required_fields_filled,
                p.required_fields_possible,
            )
        )
    else:
        target = th("target_team_required_field_completeness")
        why = "no required fields configured or no open opportunity"
        metrics.append(_unavailable("required_field_completeness", target, True, why))
    if p.open_amount > 0:
        share = p.open_amount_without_activity / p.open_amount
        explanation = (
            f"{p.open_amount_without_activity:,.0f} of {p.open_amount:,.0f} in open pipeline had no captured "
            "or logged activity in the last 7 days"
        )
        numerator, denominator = round(p.open_amount_without_activity), round(p.open_amount)
    elif p.open_opportunities:
        stale = p.open_opportunities - p.with_recent_activity
        share = stale / p.open_opportunities
        explanation = (
            f"{stale} of {p.open_opportunities} open opportunities had no activity in the last 7 days"
        )
        numerator, denominator = stale, p.open_opportunities
    else:
        target = th("target_pipeline_without_activity_7d")
        metrics.append(_unavailable("pipeline_without_activity_7d", target, False, "no open opportunity"))
        return metrics
    metrics.append(
        HealthMetric(
            "pipeline_without_activity_7d",
            round(share, 4),
            th("target_pipeline_without_activity_7d"),
            False,
            explanation,
            numerator,
            denominator,
        )
    )
    return metrics


def _unavailable(name: str, target: float, higher: bool, why: str) -> HealthMetric:
    return HealthMetric(name, None, target, higher, f"not available: {why}", available=False)


def milestone_dates(settings: TenantSettings) -> list[tuple[int, date]]:
    if settings.go_live is None:
        return []
    return [(days, settings.go_live + timedelta(days=days)) for days in MILESTONE_DAYS]
