"""A rep's complete score: both scores with their inputs, the classification, trend and capture health."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from services.scoring.domain.capture_health import CaptureHealth, capture_health
from services.scoring.domain.classification import Verdict, classify
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.scores import (
    ScoreInput,
    adoption_inputs,
    adoption_score,
    data_quality_inputs,
    weigh,
)
from services.scoring.domain.tenant_settings import TenantSettings


@dataclass(frozen=True, slots=True)
class WeeklyPoint:
    week_start: date
    adoption: float
    data_quality: float | None  # None: no snapshot of that week (the CRM's past state is unknown)


@dataclass(frozen=True, slots=True)
class RepScoreResult:
    tenant_id: str
    rep_id: str
    team_id: str
    window_start: date
    window_end: date
    adoption: float
    adoption_inputs: tuple[ScoreInput, ...]
    data_quality: float
    data_quality_inputs: tuple[ScoreInput, ...]
    verdict: Verdict
    trend: tuple[WeeklyPoint, ...]
    capture: CaptureHealth

    def content_hash(self) -> bytes:
        """Changes when any figure, class, reason or trend point a reader sees changes. Explanations are
        sentences built from those figures, so they are not hashed again (and the computation time
        is not part of the content)."""
        capture = self.capture
        parts: list[object] = [
            self.tenant_id, self.rep_id, self.team_id, self.window_start, self.window_end, self.adoption,
            self.data_quality, self.verdict.classification, self.verdict.reasons, capture.status,
            capture.last_activity_date, round(capture.usual_items_per_business_day, 2),
            capture.silent_business_days,
        ]  # fmt: skip
        parts += [(p.week_start, p.adoption, p.data_quality) for p in self.trend]
        parts += [
            (i.name, i.value, i.target, i.weight, i.contribution, i.numerator, i.denominator, i.applicable)
            for i in (*self.adoption_inputs, *self.data_quality_inputs)
        ]
        return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()

    def slim(self) -> RepScoreResult:
        """The same result without its explained inputs (what team views need, in far less memory)."""
        return RepScoreResult(
            self.tenant_id, self.rep_id, self.team_id, self.window_start, self.window_end, self.adoption, (),
            self.data_quality, (), self.verdict, self.trend, self.capture,
        )  # fmt: skip


def window_of(as_of: date, settings: TenantSettings) -> tuple[date, date]:
    return as_of - timedelta(days=settings.window_days - 1), as_of


def score_rep(inputs: RepInputs, settings: TenantSettings) -> RepScoreResult:
    start, end = window_of(inputs.as_of, settings)
    adoption, adoption_detail = weigh(
        adoption_inputs(inputs.window, settings, inputs.median_hours_to_log), settings
    )
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
    trend = []
    for index, (monday, totals) in enumerate(inputs.weeks):
        weekly = adoption_score(totals, settings)
        current = index == len(inputs.weeks) - 1
        quality = data_quality if current else inputs.past_data_quality.get(monday)
        trend.append(WeeklyPoint(monday, weekly, quality))
    capture = capture_health(
        inputs.capture,
        as_of=inputs.as_of,
        window_start=start,
        first_seen=inputs.first_seen,
        settings=settings,
    )
    verdict = classify(inputs, capture, [p.adoption for p in trend], settings)
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
    )
