"""Leadership signals per kind: counted per person, day and kind from fresh CRM events, read back as
each person's use with honest "not reported" states, and the finding about a manager whose weekly
pipeline reviews do not happen in the CRM."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from groundtruth.crm.v1 import crm_pb2
from services.scoring.domain.crm_events import CrmChange, CrmView, ForecastSubmission, Login
from services.scoring.domain.leadership import (
    NOT_REPORTED,
    LeadershipUse,
    count_crm_views,
    leadership_reasons,
    leadership_summary,
    leadership_use,
    use_of,
    window_weeks,
)
from services.scoring.domain.leadership_finding import leadership_findings
from services.scoring.domain.score_inputs import ActivityTotals, CaptureObservation, PipelineTotals, RepInputs
from services.scoring.domain.tenant_settings import settings_from_config

AS_OF = date(2026, 12, 5)  # a Saturday: the complete weeks are those up to Sunday, November 29
MONDAY = date(2026, 11, 30)


def us(day: date, hour: int = 9) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp() * 1_000_000)


def change(rep: str, body: CrmView | ForecastSubmission | Login, n: int) -> CrmChange:
    return CrmChange(f"e{n}", "t", rep, "", 0, 0, body)


def test_views_and_forecast_submissions_are_counted_per_person_day_and_kind() -> None:
    day = date(2026, 11, 23)
    counted = count_crm_views(
        [
            change("boss", CrmView(us(day), "pipeline_review"), 1),
            change("boss", CrmView(us(day, 15), "pipeline_review"), 2),
            change("boss", CrmView(us(day), "dashboard"), 3),
            change("boss", ForecastSubmission("Q4", day, day, 1.0, "EUR", us(day + timedelta(days=1))), 4),
            change("ann", Login(us(day)), 5),  # a login is CRM use, not a leadership signal
        ]
    )
    assert counted == {
        ("t", "boss", day, "pipeline_review"): 2,
        ("t", "boss", day, "dashboard"): 1,
        ("t", "boss", day + timedelta(days=1), "forecast_submitted"): 1,
    }


def test_the_window_weeks_and_the_complete_ones_judged() -> None:
    assert window_weeks(AS_OF, 28) == [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23), MONDAY]
    use = LeadershipUse(date(2026, 11, 17), 28)
    # The current week is not over; the weeks before the plugin reported views are not known.
    assert use.judged(window_weeks(AS_OF, 28), AS_OF) == [date(2026, 11, 16), date(2026, 11, 23)]


def test_a_person_without_views_is_none_in_a_reporting_tenant_and_unknown_otherwise() -> None:
    rows = [
        ("boss", date(2026, 11, 10), "pipeline_review", 1),
        ("boss", date(2026, 11, 24), "pipeline_review", 1),
        ("boss", date(2026, 11, 27), "forecast", 2),
        ("exec", date(2026, 11, 26), "forecast_submitted", 1),
        ("exec", date(2026, 11, 26), "report", 1),
        ("exec", date(2026, 11, 27), "dashboard", 1),
    ]
    found = leadership_use(rows, as_of=AS_OF, window_days=28)
    boss = found["boss"]
    assert (boss.pipeline_review_days, boss.forecast_days, boss.report_days) == (2, 1, 0)
    assert boss.review_weeks == {date(2026, 11, 9), date(2026, 11, 23)}
    assert (found["exec"].forecast_days, found["exec"].report_days) == (1, 2)
    quiet = use_of(found, "quiet", 28)
    assert quiet.reported and quiet.reported_since == date(2026, 11, 10) and quiet.pipeline_review_days == 0
    assert use_of({}, "boss", 28) is NOT_REPORTED and not NOT_REPORTED.reported
    assert leadership_reasons(boss, AS_OF) == (
        "ran the pipeline review in the CRM in 2 of the last 3 weeks",
        "pulled or submitted a forecast in the CRM on 1 of the last 28 days",
    )
    assert leadership_reasons(NOT_REPORTED, AS_OF) == ()
    summary = leadership_summary("boss", boss, AS_OF, 0.75)
    assert (summary.weeks_judged, summary.weeks_reviewed, summary.meets_target) == (3, 2, False)
    assert not leadership_summary("x", NOT_REPORTED, AS_OF, 0.75).meets_target


def manager_inputs(use: LeadershipUse) -> RepInputs:
    return RepInputs(
        "t", "boss", "east", AS_OF, None, ActivityTotals(days=28, login_days=20), ActivityTotals(days=14), (),
        PipelineTotals(), CaptureObservation(None, 0), leadership=use,
    )  # fmt: skip


def test_the_finding_names_the_weeks_without_a_pipeline_review_in_the_crm() -> None:
    settings = settings_from_config(
        "t",
        crm_pb2.TenantConfig(
            version=1,
            teams=[crm_pb2.Team(team_id="east", name="East", manager_rep_id="boss", member_rep_ids=["ann"])],
            people=[crm_pb2.Person(rep_id="boss", role="manager", display_name="Bea Boss")],
        ),
    )
    team = settings.teams[0]
    since = date(2026, 11, 1)
    every_week = frozenset({date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)})
    reviewing = manager_inputs(LeadershipUse(since, 28, review_weeks=every_week))
    assert leadership_findings(settings, team, reviewing, AS_OF) == []
    once = LeadershipUse(since, 28, forecast_days=3, review_weeks=frozenset({date(2026, 11, 9)}))
    [found] = leadership_findings(settings, team, manager_inputs(once), AS_OF)
    assert (found.kind, found.rep_id, found.team_id) == ("manager_reviews_outside_crm", "boss", "east")
    assert "ran the pipeline review in the CRM in 1 of the last 3 weeks" in found.title
    evidence = [(e.label, e.value) for e in found.evidence]
    assert ("no pipeline review in the CRM in the week of", "2026-11-16") in evidence
    assert ("no pipeline review in the CRM in the week of", "2026-11-23") in evidence
    assert ("days with a forecast pulled or submitted in the CRM", "3 of the last 28 days") in evidence
    # The plugin reports no views: unknown, so no finding (and no manager: nothing to judge).
    assert leadership_findings(settings, team, manager_inputs(NOT_REPORTED), AS_OF) == []
    assert leadership_findings(settings, team, None, AS_OF) == []


def test_forecast_submissions_alone_do_not_make_views_reported() -> None:
    """A CRM that sends forecasts but a plugin that reports no views: reviews are unknown, not none."""
    rows = [("boss", date(2026, 11, 27), "forecast_submitted", 1)]
    found = leadership_use(rows, as_of=AS_OF, window_days=28)
    assert found == {} and use_of(found, "boss", 28) is NOT_REPORTED
