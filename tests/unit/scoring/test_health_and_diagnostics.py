"""Capture health, team health metrics, diagnostics and forecast accuracy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from services.scoring.domain.capture_health import CaptureStatus, capture_health
from services.scoring.domain.diagnostics import FieldFriction, TeamFacts, team_diagnostics
from services.scoring.domain.duplicates import name_key
from services.scoring.domain.forecast import forecast_accuracy
from services.scoring.domain.rep_score import score_rep
from services.scoring.domain.score_inputs import ActivityTotals, CaptureObservation, PipelineTotals
from services.scoring.domain.team_health import ActivityStats, activity_metrics, pipeline_metrics
from services.scoring.domain.tenant_settings import Team, TenantSettings
from tests.unit.scoring.test_scores import AS_OF, SETTINGS, dana

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("last", "items", "status", "silent_days"),
    [
        pytest.param(MONDAY, 100, CaptureStatus.HEALTHY, 0, id="items yesterday"),
        pytest.param(
            MONDAY - timedelta(days=3), 100, CaptureStatus.HEALTHY, 1, id="a quiet weekend and Monday"
        ),
        pytest.param(
            MONDAY - timedelta(days=10), 100, CaptureStatus.SILENT, 6, id="quiet for 6 business days"
        ),
        pytest.param(
            MONDAY - timedelta(days=10), 10, CaptureStatus.HEALTHY, 6, id="was barely active anyway"
        ),
        pytest.param(None, 0, CaptureStatus.MISSING, 0, id="never captured"),
    ],
)
def test_a_mailbox_is_silent_after_a_steady_flow_stops(
    last: date | None, items: int, status: CaptureStatus, silent_days: int
) -> None:
    health = capture_health(
        CaptureObservation(last, items), as_of=MONDAY + timedelta(days=1),
        window_start=MONDAY - timedelta(days=27), first_seen=MONDAY - timedelta(days=60), settings=SETTINGS,
    )  # fmt: skip
    assert health.status is status
    assert health.silent_business_days == silent_days


def test_team_health_metrics_against_their_targets() -> None:
    stats = ActivityStats(
        members=10, active_last_7_days=7, active_last_28_days=9, daily_active_business_days=(4,) * 20
    )
    wau, dau_mau = activity_metrics(stats, SETTINGS)
    assert (wau.value, wau.meets_target) == (0.7, False)
    # Over the 10 members the team expects in the CRM, not the 9 who used it (issue 20).
    assert dau_mau.value == pytest.approx(4 / 10, abs=1e-4) and not dau_mau.meets_target
    assert (dau_mau.numerator, dau_mau.denominator) == (4, 10)
    completeness, stale = pipeline_metrics(
        PipelineTotals(open_opportunities=10, with_recent_activity=9, required_fields_filled=17,
                       required_fields_possible=20, open_amount=1000.0, open_amount_without_activity=150.0),
        SETTINGS,
    )  # fmt: skip
    assert (completeness.value, completeness.meets_target) == (0.85, True)
    assert (stale.value, stale.meets_target, stale.higher_is_better) == (0.15, True, False)
    (no_fields, no_deals) = pipeline_metrics(PipelineTotals(), SETTINGS)
    assert not no_fields.available and not no_deals.available and not no_deals.meets_target


def _members(count: int, **window: int) -> list:  # type: ignore[type-arg]
    inputs = [dana(rep_id=f"r{i}", window=replace(dana().window, **window)) for i in range(count)]
    return [(i, score_rep(i, SETTINGS)) for i in inputs]


def test_team_diagnostics_name_what_to_change_with_evidence() -> None:
    settings = replace(SETTINGS, stages=("Qualify", "Propose", "Negotiate", "Closed Won", "Closed Lost"))
    team = Team("east", "East", "boss", ("r0", "r1", "r2"))
    facts = TeamFacts(
        team=team,
        fields=[FieldFriction("Budget", "east", 12, 11), FieldFriction("NextStep", "east", 12, 1)],
        open_by_stage={"Qualify": 9, "Propose": 2, "Negotiate": 1},
        skipped_by_stage={"Propose": (6, 8), "Qualify": (0, 8)},
        unknown_contacts=[("new@buyer.example", 4)],
    )
    manager = dana(rep_id="boss", window=replace(dana().window, login_days=0))
    found = {
        d.kind: d
        for d in team_diagnostics(settings, facts, _members(3, meetings=30, logged_meetings=3), manager)
    }
    assert set(found) == {
        "friction_field", "manager_not_using_crm", "write_back_recommended", "stage_pile_up", "stage_skipped",
        "unknown_contacts",
    }  # fmt: skip
    assert {e.label: e.value for e in found["friction_field"].evidence}[
        "empty on open opportunities"
    ] == "11 of 12"
    assert "Budget" in found["friction_field"].title
    assert found["manager_not_using_crm"].rep_id == "boss"
    assert {e.label: e.value for e in found["write_back_recommended"].evidence} == {
        "external meetings captured": "90",
        "meetings logged by hand": "9",
    }
    assert "Qualify" in found["stage_pile_up"].title
    assert "Propose" in found["stage_skipped"].title
    with_write_back = team_diagnostics(
        replace(settings, uses_write_back=True), facts, _members(3, meetings=30, logged_meetings=3), manager
    )
    assert "write_back_recommended" not in {d.kind for d in with_write_back}


def test_forecast_accuracy_within_ten_percent() -> None:
    kwargs = {"rep_id": "r", "period": "Q4", "period_end": date(2026, 12, 31), "as_of": AS_OF, "target": 0.1}
    close = forecast_accuracy(committed=100_000, closed_won=95_000, **kwargs)  # type: ignore[arg-type]
    assert (close.error_ratio, close.within_target, close.period_closed) == (0.05, True, False)
    assert not forecast_accuracy(committed=100_000, closed_won=80_000, **kwargs).within_target  # type: ignore[arg-type]
    assert forecast_accuracy(committed=0, closed_won=0, **kwargs).within_target  # type: ignore[arg-type]
    assert forecast_accuracy(committed=0, closed_won=10, **kwargs).error_ratio == 1.0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("ACME, Inc.", "Acme Inc", True),
        ("Acme GmbH", "acme", True),
        ("Acme", "Acmes", False),
        ("The Co.", "", True),
    ],
)
def test_probable_duplicate_names(first: str, second: str, same: bool) -> None:
    assert (name_key(first) == name_key(second)) is same


def test_a_rep_with_no_external_activity_and_no_crm_use_is_not_judged() -> None:
    quiet = dana(
        window=ActivityTotals(days=28),
        last_14_days=ActivityTotals(days=14),
        pipeline=PipelineTotals(),
        capture=CaptureObservation(AS_OF - timedelta(days=1), 3),
    )
    result = score_rep(quiet, TenantSettings(tenant_id="t"))
    assert result.verdict.classification.value == "insufficient_data"
    assert "too little to judge" in result.verdict.reasons[0]
