"""The class a rep had at the end of each past week, reconstructed from the weekly counters.

Scoring keeps day counters, not past classifications, so a past week's class is worked out again as
of that week's last day, with the same rules (`classify`) over the four weeks ending then:
- window: the four weeks ending with it (fewer at the start of the history);
- last 14 days: that week and the one before;
- capture: the last day with a captured item up to then;
- pipeline: unknown for the past (the CRM's past state is not kept), so the rules that read the
  pipeline (stale deals) do not apply to past weeks.
The current week's class is the rep's real classification, computed over the trailing window.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta

from services.scoring.domain.capture_health import capture_health
from services.scoring.domain.classification import Classification, classify
from services.scoring.domain.score_inputs import (
    ActivityTotals,
    CaptureObservation,
    PipelineTotals,
    RepInputs,
)
from services.scoring.domain.tenant_settings import TenantSettings

WEEKS_PER_WINDOW = 4
_SUMMED = tuple(f.name for f in fields(ActivityTotals) if f.name != "days")


def add_totals(parts: list[ActivityTotals]) -> ActivityTotals:
    """The sum of consecutive periods' totals (days add up too)."""
    return ActivityTotals(
        sum(p.days for p in parts), *(sum(getattr(p, name) for p in parts) for name in _SUMMED)
    )


def week_end(monday: date, as_of: date) -> date:
    """The last day a weekly bucket covers: its Sunday, or today for the current week."""
    return min(monday + timedelta(days=6), as_of)


def past_classes(
    inputs: RepInputs, weekly_adoption: list[float | None], settings: TenantSettings
) -> list[Classification | None]:
    """The class at the end of every week of `inputs.weeks` but the last (the current week), oldest
    first; None for a week that ended before the rep started (nothing to judge). Pure."""
    found: list[Classification | None] = []
    for index, (monday, _) in enumerate(inputs.weeks[:-1]):
        end = week_end(monday, inputs.as_of)
        if weekly_adoption[index] is None:
            found.append(None)
            continue
        first = max(0, index - WEEKS_PER_WINDOW + 1)
        span = [totals for _, totals in inputs.weeks[first : index + 1]]
        window = add_totals(span)
        seen = [day for day in inputs.last_item_by_week[: index + 1] if day is not None]
        last_item = max(seen, default=None)
        past = RepInputs(
            tenant_id=inputs.tenant_id,
            rep_id=inputs.rep_id,
            team_id=inputs.team_id,
            as_of=end,
            first_seen=inputs.first_seen,
            window=window,
            last_14_days=add_totals(span[-2:]),
            weeks=inputs.weeks[first : index + 1],
            pipeline=PipelineTotals(),
            capture=CaptureObservation(last_item, window.items_synced),
        )
        start = monday - timedelta(days=7 * (index - first))
        capture = capture_health(
            past.capture, as_of=end, window_start=start, first_seen=inputs.first_seen, settings=settings
        )
        trend = [a for a in weekly_adoption[first : index + 1] if a is not None]
        found.append(classify(past, capture, trend, settings).classification)
    return found
