"""The score formulas, checked on the worked example of docs/scoring.md."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.rep_score import score_rep
from services.scoring.domain.score_inputs import ActivityTotals, CaptureObservation, PipelineTotals, RepInputs
from services.scoring.domain.scores import adoption_inputs, adoption_score, data_quality_inputs, weigh
from services.scoring.domain.tenant_settings import TenantSettings

AS_OF = date(2026, 11, 27)  # a Friday
SETTINGS = TenantSettings(tenant_id="acme", required_opportunity_fields=("Budget", "NextStep"))

# Dana, over the default 28-day window (docs/scoring.md, "Worked example").
DANA_WINDOW = ActivityTotals(
    days=28, login_days=12, write_days=9, crm_use_days=12, items_synced=130, emails_sent=50,
    emails_received=50, meetings=20, external_matched=96, logs_entered=20, logs_within_24h=14,
    logs_late_48h=3, logs_catch_up_in_bursts=1, logged_meetings=15,
)  # fmt: skip
DANA_PIPELINE = PipelineTotals(
    open_opportunities=8, with_recent_activity=6, modified_recently=4, close_date_current=7,
    next_step_present=6, required_fields_filled=12, required_fields_possible=16, open_amount=400_000,
    open_amount_without_activity=90_000,
)  # fmt: skip


def _by_name(items: list) -> dict:  # type: ignore[type-arg]
    return {i.name: i for i in items}


def test_worked_example_adoption() -> None:
    score, inputs = weigh(adoption_inputs(DANA_WINDOW, SETTINGS, median_hours=6.0), SETTINGS)
    by_name = _by_name(inputs)
    assert by_name["crm_login_days"].value == 3.0
    assert by_name["crm_login_days"].contribution == 15.0
    assert by_name["crm_write_days"].value == 2.25
    assert by_name["crm_write_days"].contribution == 15.0
    assert by_name["manual_logging_rate"].value == 0.75
    assert by_name["manual_logging_rate"].contribution == 20.83
    assert by_name["logged_within_24h"].contribution == 13.12  # 15 x 0.7 / 0.8 = 13.125
    assert by_name["not_bulk_logged"].value == 0.8
    assert by_name["not_bulk_logged"].contribution == 17.78
    assert by_name["median_hours_to_log"].weight == 0.0
    assert sum(i.weight for i in inputs) == 100.0
    assert score == 81.7


def test_worked_example_data_quality() -> None:
    score, inputs = weigh(
        data_quality_inputs(
            DANA_WINDOW, DANA_PIPELINE, SETTINGS, owned_records=10, duplicate_records=1, unknown_contacts=3
        ),
        SETTINGS,
    )
    by_name = _by_name(inputs)
    assert by_name["capture_coverage"].contribution == 15.0
    assert by_name["required_fields_complete"].contribution == 22.06
    assert by_name["pipeline_freshness"].contribution == 18.75
    assert by_name["update_cadence"].contribution == 10.0
    assert by_name["close_dates_current"].contribution == 8.75
    assert by_name["next_steps_present"].contribution == 8.33
    assert by_name["no_duplicates"].contribution == 9.0
    assert by_name["unknown_contacts"].numerator == 3
    assert score == 91.9


def test_with_write_back_the_logging_rate_does_not_apply_and_its_weight_is_shared() -> None:
    settings = replace(SETTINGS, uses_write_back=True)
    score, inputs = weigh(adoption_inputs(DANA_WINDOW, settings, median_hours=None), settings)
    by_name = _by_name(inputs)
    assert by_name["manual_logging_rate"].weight == 0.0
    assert "not scored" in by_name["manual_logging_rate"].explanation
    assert by_name["crm_login_days"].weight == 26.67
    assert by_name["logged_within_24h"].weight == 20.0
    assert score == 81.2


def test_a_tenant_can_override_weights_and_targets() -> None:
    settings = replace(
        SETTINGS,
        weights={**SETTINGS.weights, "crm_login_days": 0.0},
        thresholds={**SETTINGS.thresholds, "target_write_days_per_week": 2.25},
    )
    _, inputs = weigh(adoption_inputs(DANA_WINDOW, settings, median_hours=None), settings)
    by_name = _by_name(inputs)
    assert by_name["crm_login_days"].contribution == 0.0
    assert by_name["crm_write_days"].contribution == by_name["crm_write_days"].weight  # target met


def test_nothing_applicable_scores_zero() -> None:
    score, inputs = weigh(
        data_quality_inputs(ActivityTotals(days=28), PipelineTotals(), SETTINGS, owned_records=0,
                            duplicate_records=0, unknown_contacts=0),
        SETTINGS,
    )  # fmt: skip
    assert score == 0.0
    assert all(i.weight == 0.0 for i in inputs)


def _weeks(totals: ActivityTotals) -> tuple[tuple[date, ActivityTotals], ...]:
    monday = AS_OF - timedelta(days=AS_OF.weekday())
    return tuple((monday - timedelta(days=7 * (3 - i)), totals) for i in range(4))


def dana(**changes: object) -> RepInputs:
    base = RepInputs(
        tenant_id="acme", rep_id="dana", team_id="east", as_of=AS_OF, first_seen=AS_OF - timedelta(days=60),
        window=DANA_WINDOW, last_14_days=replace(DANA_WINDOW, days=14, crm_use_days=6, meetings=10,
                                                 emails_sent=25, emails_received=25),
        weeks=_weeks(replace(DANA_WINDOW, days=7, login_days=3, write_days=2)),
        pipeline=DANA_PIPELINE, capture=CaptureObservation(AS_OF - timedelta(days=1), 130),
        median_hours_to_log=6.0, owned_records=10, duplicate_records=1, unknown_contacts=3,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_worked_example_classifies_dana_as_an_adopter() -> None:
    result = score_rep(dana(), SETTINGS)
    assert (result.adoption, result.data_quality) == (81.7, 91.9)
    assert result.verdict.classification.value == "adopter"
    assert result.window_start == date(2026, 10, 31)
    assert [p.week_start for p in result.trend] == [
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
        date(2026, 11, 23),
    ]
    assert result.trend[-1].data_quality == 91.9
    assert result.trend[0].data_quality is None  # no snapshot of that week


@pytest.mark.parametrize(
    ("changes", "expected", "reason"),
    [
        pytest.param(
            {"first_seen": AS_OF - timedelta(days=3)}, "insufficient_data", "at least 7 days", id="new rep"
        ),
        pytest.param(
            {"capture": CaptureObservation(AS_OF - timedelta(days=9), 130)}, "insufficient_data",
            "capture is silent", id="silent mailbox is never a ghost",
        ),
        pytest.param(
            {"last_14_days": replace(DANA_WINDOW, days=14, crm_use_days=0)}, "ghost", "no CRM login",
            id="ghost",
        ),
        pytest.param(
            {"window": replace(DANA_WINDOW, write_days=2)}, "skeptic", "changes something only",
            id="logs in, no writes",
        ),
        pytest.param(
            {"window": replace(DANA_WINDOW, logs_late_48h=9, logs_catch_up_in_bursts=3)}, "workarounder",
            "more than 48 hours late", id="bulk logger",
        ),
        pytest.param(
            {"window": replace(DANA_WINDOW, logged_meetings=6)}, "workarounder", "logs only 6 of 20",
            id="logs little",
        ),
    ],
)  # fmt: skip
def test_classification_rules(changes: dict[str, object], expected: str, reason: str) -> None:
    result = score_rep(dana(**changes), SETTINGS)
    assert result.verdict.classification.value == expected
    assert any(reason in r for r in result.verdict.reasons), result.verdict.reasons


def test_a_falling_trend_makes_a_skeptic() -> None:
    good = replace(DANA_WINDOW, days=7, login_days=5, write_days=4)
    poor = replace(DANA_WINDOW, days=7, login_days=2, write_days=1, logged_meetings=0, logs_entered=0)
    monday = AS_OF - timedelta(days=AS_OF.weekday())
    weeks = tuple((monday - timedelta(days=7 * (3 - i)), t) for i, t in enumerate((good, good, poor, poor)))
    result = score_rep(dana(weeks=weeks), SETTINGS)
    assert result.verdict.classification.value == "skeptic"
    assert any("adoption fell" in r for r in result.verdict.reasons)


def test_content_hash_ignores_nothing_a_reader_sees() -> None:
    assert score_rep(dana(), SETTINGS).content_hash() == score_rep(dana(), SETTINGS).content_hash()
    assert (
        score_rep(dana(), SETTINGS).content_hash()
        != score_rep(dana(unknown_contacts=4), SETTINGS).content_hash()
    )


@given(
    totals=st.builds(
        ActivityTotals,
        days=st.integers(1, 28),
        login_days=st.integers(0, 28),
        write_days=st.integers(0, 28),
        meetings=st.integers(0, 50),
        logged_meetings=st.integers(0, 60),
        logs_entered=st.integers(0, 40),
        logs_within_24h=st.integers(0, 40),
        logs_late_48h=st.integers(0, 20),
        logs_catch_up_in_bursts=st.integers(0, 20),
    ),
    write_back=st.booleans(),
)
def test_the_fast_weekly_adoption_score_equals_the_explained_one(
    totals: ActivityTotals, write_back: bool
) -> None:
    settings = replace(SETTINGS, uses_write_back=write_back)
    explained, _ = weigh(adoption_inputs(totals, settings, None), settings)
    assert adoption_score(totals, settings) == explained
