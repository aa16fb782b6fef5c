"""A rep's complete score: both scores with their inputs, the classification, trend and capture health."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from services.scoring.domain.away import with_away
from services.scoring.domain.capture_health import CaptureHealth, capture_health
from services.scoring.domain.class_history import past_classes, week_end
from services.scoring.domain.classification import Classification, Verdict, classify
from services.scoring.domain.leadership import leadership_reasons
from services.scoring.domain.score_inputs import ActivityTotals, RepInputs
from services.scoring.domain.scores import (
    ScoreInput,
    adoption_inputs,
    adoption_score,
    data_quality_inputs,
    weigh,
)
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.domain.wording import on_days


@dataclass(frozen=True, slots=True)
class WeeklyPoint:
    week_start: date
    adoption: float | None  # None: the week ended before the rep started
    data_quality: float | None  # None: no snapshot of that week, or the rep keeps no records
    classification: Classification | None = None  # None: before the rep started
    week_end: date | None = None  # its Sunday, or today for the current week
    away: bool = False  # the rep was away every day of it that they would be judged on: not scored


@dataclass(frozen=True, slots=True)
class RepScoreResult:
    tenant_id: str
    rep_id: str
    team_id: str
    window_start: date
    window_end: date
    adoption: float
    adoption_inputs: tuple[ScoreInput, ...]
    data_quality: float | None  # None: see data_quality_unavailable
    data_quality_inputs: tuple[ScoreInput, ...]
    verdict: Verdict
    trend: tuple[WeeklyPoint, ...]
    capture: CaptureHealth
    display_name: str = ""
    role: str = ""
    data_quality_unavailable: str = ""  # why data_quality is None, in words

    def content_hash(self) -> bytes:
        """Changes when any figure, class, reason or trend point a reader sees changes. Explanations are
        sentences built from those figures, so they are not hashed again (and the computation time
        is not part of the content)."""
        capture = self.capture
        parts: list[object] = [
            self.tenant_id, self.rep_id, self.team_id, self.window_start, self.window_end, self.adoption,
            self.data_quality, self.verdict.classification, self.verdict.reasons, capture.status,
            capture.last_activity_date, round(capture.usual_items_per_business_day, 2),
            capture.silent_business_days, self.display_name, self.role, self.data_quality_unavailable,
        ]  # fmt: skip
        if capture.report is not None:
            # Capture's word shows with the score; a heartbeat alone (reported_at) changes nothing.
            report = capture.report
            parts += [capture.source, report.state, report.reason, report.since, report.items_rejected]
        parts += [(p.week_start, p.adoption, p.data_quality, p.classification, p.away) for p in self.trend]
        parts += [
            (i.name, i.value, i.target, i.weight, i.contribution, i.numerator, i.denominator, i.applicable)
            for i in (*self.adoption_inputs, *self.data_quality_inputs)
        ]
        return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()

    def slim(self) -> RepScoreResult:
        """The same result without its explained inputs (what team views need, in far less memory)."""
        return RepScoreResult(
            self.tenant_id, self.rep_id, self.team_id, self.window_start, self.window_end, self.adoption, (),
            self.data_quality, (), self.verdict, self.trend, self.capture, self.display_name, self.role,
            self.data_quality_unavailable,
        )  # fmt: skip


def window_of(as_of: date, settings: TenantSettings) -> tuple[date, date]:
    return as_of - timedelta(days=settings.window_days - 1), as_of


def score_rep(inputs: RepInputs, settings: TenantSettings) -> RepScoreResult:
    start, end = window_of(inputs.as_of, settings)
    person = settings.person(inputs.rep_id)
    is_manager = settings.is_manager(inputs.rep_id)
    # Each person is judged against their role's expectations (an SDR is not scored on meetings).
    settings = settings.for_role(person.role)
    adoption, adoption_detail = weigh(
        adoption_inputs(
            inputs.window,
            settings,
            inputs.median_hours_to_log,
            inputs.records_created,
            inputs.contacts_created,
        ),
        settings,
    )
    data_quality: float | None
    data_quality, quality_detail = weigh(
        data_quality_inputs(
            inputs.window,
            inputs.pipeline,
            settings,
            owned_records=inputs.owned_records,
            duplicate_records=inputs.duplicate_records,
            unknown_contacts=inputs.unknown_contacts,
        ),
        settings,
    )
    unavailable = _no_data_quality(inputs, is_manager)
    if unavailable:
        data_quality = None
    capture = with_away(
        capture_health(
            inputs.capture,
            as_of=inputs.as_of,
            window_start=start,
            first_seen=inputs.first_seen,
            settings=settings,
        ),
        away=inputs.away_days,
        as_of=inputs.as_of,
        silence_days=settings.threshold("capture_silence_business_days"),
    )
    started = person.start_date or inputs.first_seen
    away_weeks = [_away_week(monday, totals, inputs) for monday, totals in inputs.weeks]
    weekly: list[float | None] = [
        adoption_score(totals, settings)
        if started is not None and week_end(monday, inputs.as_of) >= started and not away
        else None
        for (monday, totals), away in zip(inputs.weeks, away_weeks, strict=True)
    ]
    known = [w for w in weekly if w is not None]
    if is_manager:
        verdict = _manager_verdict(inputs)
    elif inputs.window.days == 0:
        verdict = _no_day_to_judge(person.start_date, inputs)
    else:
        verdict = classify(inputs, capture, known, settings)
    classes = [None if is_manager else c for c in past_classes(inputs, weekly, settings)]
    trend = []
    for index, (monday, _) in enumerate(inputs.weeks):
        current = index == len(inputs.weeks) - 1
        quality = data_quality if current else inputs.past_data_quality.get(monday)
        cls = (verdict.classification if weekly[index] is not None else None) if current else classes[index]
        end_of_week = week_end(monday, inputs.as_of)
        trend.append(WeeklyPoint(monday, weekly[index], quality, cls, end_of_week, away_weeks[index]))
    return RepScoreResult(
        tenant_id=inputs.tenant_id,
        rep_id=inputs.rep_id,
        team_id=inputs.team_id,
        window_start=start,
        window_end=end,
        adoption=adoption,
        adoption_inputs=tuple(adoption_detail),
        data_quality=data_quality,
        data_quality_inputs=tuple(quality_detail),
        verdict=verdict,
        trend=tuple(trend),
        capture=capture,
        display_name=person.display_name,
        role=person.role,
        data_quality_unavailable=unavailable,
    )


def _no_day_to_judge(start_date: date | None, inputs: RepInputs) -> Verdict:
    """Every day of the window is before the start date or away: nothing to judge, and why."""
    if start_date is not None and start_date > inputs.as_of:
        why = f"starts on {start_date.isoformat()}: nobody is judged before their start date"
    else:
        why = "out of office (by their calendar) on every day of the window they would be judged on"
    return Verdict(Classification.INSUFFICIENT_DATA, (why,))


def _away_week(monday: date, totals: ActivityTotals, inputs: RepInputs) -> bool:
    """No day of the week is left to judge, and it is the rep's absence that took them."""
    last = week_end(monday, inputs.as_of)
    return totals.days == 0 and any(monday <= d <= last for d in inputs.away_days)


def _no_data_quality(inputs: RepInputs, is_manager: bool) -> str:
    """Why the rep has no data-quality score ("" when they have one).

    Data quality judges the records a rep keeps. A rep with no record of their own, or who changed
    nothing in the CRM during the window, keeps none: the state of records someone else (or an
    import) left says nothing about them, and a high number there would contradict their class."""
    if is_manager:
        return "a manager is judged on their own CRM use, not on a rep's data quality"
    if inputs.pipeline.open_opportunities == 0 and inputs.owned_records == 0:
        return "the rep owns no open deal, account or contact in the CRM"
    if inputs.window.write_days == 0:
        return (
            f"the rep changed nothing in the CRM in the last {inputs.window.days} days, so the state of "
            "their records is not their doing"
        )
    return ""


def _manager_verdict(inputs: RepInputs) -> Verdict:
    """A manager's own CRM use, in words: what the team sees them do in the CRM."""
    w = inputs.window
    return Verdict(
        Classification.MANAGER,
        (
            f"opened the CRM {on_days(w.login_days, w.days)}",
            f"changed something in it {on_days(w.write_days, w.days)}"
            if w.write_days
            else f"changed nothing in it in the last {w.days} days",
            *leadership_reasons(inputs.leadership, inputs.as_of),
        ),
    )
