"""The timeline playbook on an injected day: each recommendation appears on the day it applies and is
gone on the day it expires (the rescore recomputes them daily from its clock; nothing sleeps)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from groundtruth.crm.v1 import crm_pb2
from services.scoring.domain.capture_health import CaptureHealth, CaptureStatus
from services.scoring.domain.class_history import week_end
from services.scoring.domain.classification import Classification, Verdict
from services.scoring.domain.diagnostics import Diagnostic
from services.scoring.domain.leadership import NOT_REPORTED, LeadershipUse
from services.scoring.domain.playbook.timeline import timeline
from services.scoring.domain.rep_score import RepScoreResult, WeeklyPoint
from services.scoring.domain.score_inputs import ActivityTotals, CaptureObservation, PipelineTotals, RepInputs
from services.scoring.domain.tenant_settings import TenantSettings, settings_from_config

GO_LIVE = date(2026, 9, 7)  # a Monday
LATE_START = date(2026, 9, 21)  # a rep who joined two weeks after go-live
A = Classification


def settings() -> TenantSettings:
    return settings_from_config(
        "t",
        crm_pb2.TenantConfig(
            version=1,
            go_live_date=GO_LIVE.isoformat(),
            teams=[
                crm_pb2.Team(
                    team_id="east", name="East", manager_rep_id="boss", member_rep_ids=["ann", "bob", "cat"]
                )
            ],
            people=[
                crm_pb2.Person(rep_id="ann", role="account_executive", display_name="Ann"),
                crm_pb2.Person(rep_id="bob", role="account_executive", display_name="Bob"),
                crm_pb2.Person(
                    rep_id="cat", role="sdr", display_name="Cat", start_date=LATE_START.isoformat()
                ),
                crm_pb2.Person(rep_id="boss", role="manager"),
            ],
        ),
    )


def mondays(as_of: date) -> list[date]:
    last = as_of - timedelta(days=as_of.weekday())
    first = GO_LIVE - timedelta(days=GO_LIVE.weekday())
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def inputs(rep: str, as_of: date, *, logins_by_week: dict[date, int] | None = None) -> RepInputs:
    weeks = tuple(
        (m, ActivityTotals(days=7, login_days=(logins_by_week or {}).get(m, 5))) for m in mondays(as_of)
    )
    return RepInputs(
        "t", rep, "east", as_of, GO_LIVE, ActivityTotals(days=28), ActivityTotals(days=14), weeks,
        PipelineTotals(), CaptureObservation(as_of, 100),
    )  # fmt: skip


def result(
    rep: str, role: str, cls: Classification, adoption: float, as_of: date, *, ghost_from: date | None = None
) -> RepScoreResult:
    trend = tuple(
        WeeklyPoint(
            m,
            adoption,
            None,
            A.GHOST if ghost_from and week_end(m, as_of) >= ghost_from else cls,
            week_end(m, as_of),
        )
        for m in mondays(as_of)
    )
    capture = CaptureHealth(CaptureStatus.HEALTHY, as_of, 5.0, 0, "")
    return RepScoreResult(
        "t", rep, "east", as_of - timedelta(days=27), as_of, adoption, (), None, (), Verdict(cls, ("why",)),
        trend, capture, rep.title(), role,
    )  # fmt: skip


def playbook_on(as_of: date, *, ann: Classification = A.ADOPTER, ghost_from: date | None = None,
                boss_logins: dict[date, int] | None = None,
                active: tuple[int, int] | None = None,
                boss_leadership: LeadershipUse = NOT_REPORTED) -> list[Diagnostic]:  # fmt: skip
    scored = [
        (
            inputs("ann", as_of),
            result("ann", "account_executive", ann, 90.0 if ann is A.ADOPTER else 40.0, as_of),
        ),
        (
            inputs("bob", as_of),
            result("bob", "account_executive", A.ADOPTER, 60.0, as_of, ghost_from=ghost_from),
        ),
        (inputs("cat", as_of), result("cat", "sdr", A.SKEPTIC, 30.0, as_of)),
        (
            replace(inputs("boss", as_of, logins_by_week=boss_logins), leadership=boss_leadership),
            result("boss", "manager", A.MANAGER, 50.0, as_of),
        ),
    ]
    return timeline(settings(), scored, as_of, {"east": active} if active else None)


def kinds(found: list[Diagnostic]) -> list[str]:
    return sorted(d.kind for d in found)


def reps_in(d: Diagnostic) -> list[str]:
    return sorted(e.ref for e in d.evidence if e.object_type == "rep")


@pytest.mark.parametrize(
    ("day", "reps"),
    [
        pytest.param(29, [], id="day 29: not yet"),
        pytest.param(30, ["ann", "bob"], id="day 30 of go-live"),
        pytest.param(44, ["ann", "bob"], id="day 44: last day"),
        pytest.param(45, [], id="day 45: expired"),
    ],
)
def test_training_at_30_days_of_real_use(day: int, reps: list[str]) -> None:
    found = [d for d in playbook_on(GO_LIVE + timedelta(days=day)) if d.kind == "playbook_training_30_days"]
    found = [d for d in found if any(e.value == GO_LIVE.isoformat() for e in d.evidence)]
    assert [reps_in(d) for d in found] == ([reps] if reps else [])
    if reps:
        assert found[0].playbook is not None
        assert found[0].playbook.applies_from == GO_LIVE + timedelta(days=30)
        assert found[0].playbook.expires_on == GO_LIVE + timedelta(days=45)


def test_a_late_starter_gets_their_own_30_days_from_their_start_date() -> None:
    def cohorts(on: date) -> list[list[str]]:
        return [reps_in(d) for d in playbook_on(on) if d.kind == "playbook_training_30_days"]

    day_30 = LATE_START + timedelta(days=30)  # the go-live cohort's day 44: both apply
    assert cohorts(day_30 - timedelta(days=1)) == [["ann", "bob"]]
    assert cohorts(day_30) == [["ann", "bob"], ["cat"]]
    assert cohorts(day_30 + timedelta(days=1)) == [["cat"]]  # the go-live cohort's expired
    assert cohorts(LATE_START + timedelta(days=45)) == []


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(44, [], id="day 44: not yet"),
        pytest.param(45, ["bob"], id="day 45: bob below the target 70, ann on target"),
        pytest.param(59, ["bob"], id="day 59: last day"),
        pytest.param(60, [], id="day 60: expired"),
    ],
)
def test_role_sessions_at_45_days_for_those_below_target(day: int, expected: list[str]) -> None:
    found = [
        d for d in playbook_on(GO_LIVE + timedelta(days=day)) if d.kind == "playbook_role_session_45_days"
    ]
    found = [
        d for d in found if any(e.label == "role" and e.value == "account_executive" for e in d.evidence)
    ]
    assert [reps_in(d) for d in found] == ([expected] if expected else [])


def test_role_sessions_list_a_non_adopter_even_above_the_adoption_target() -> None:
    found = playbook_on(GO_LIVE + timedelta(days=45), ann=A.WORKAROUNDER)
    sessions = [d for d in found if d.kind == "playbook_role_session_45_days"]
    assert [reps_in(d) for d in sessions] == [["ann", "bob"]]


@pytest.mark.parametrize(
    ("day", "active", "kind"),
    [
        pytest.param(89, (1, 3), None, id="day 89: not yet"),
        pytest.param(90, (1, 3), "playbook_simplified_relaunch", id="33% active: relaunch"),
        pytest.param(90, (2, 3), "playbook_review_90_days", id="67% active: review"),
        pytest.param(103, (1, 3), "playbook_simplified_relaunch", id="day 103: last day"),
        pytest.param(104, (1, 3), None, id="day 104: expired"),
    ],
)
def test_the_90_day_review_recommends_a_simplified_relaunch_below_40_percent(
    day: int, active: tuple[int, int], kind: str | None
) -> None:
    found = playbook_on(GO_LIVE + timedelta(days=day), active=active)
    review = [d for d in found if d.kind in ("playbook_simplified_relaunch", "playbook_review_90_days")]
    assert [d.kind for d in review] == ([kind] if kind else [])
    if kind == "playbook_simplified_relaunch":
        assert review[0].severity == "critical" and "simplified relaunch" in review[0].recommendation


def test_the_pipeline_rule_is_held_for_three_meetings_after_a_ghost_appears() -> None:
    finding = week_end(GO_LIVE + timedelta(weeks=5), GO_LIVE + timedelta(weeks=9))  # a Sunday

    def held(on: date) -> list[Diagnostic]:
        return [d for d in playbook_on(on, ghost_from=finding) if d.kind == "playbook_hold_pipeline_rule"]

    assert held(finding - timedelta(days=1)) == []
    rule = held(finding)
    assert len(rule) == 1 and rule[0].playbook is not None
    assert rule[0].playbook.expires_on == finding + timedelta(days=21)
    assert [e.value for e in rule[0].evidence if e.label.startswith("review ")] == [
        (finding + timedelta(days=7 * n)).isoformat() for n in (1, 2, 3)
    ]
    assert any("Bob worked outside the CRM" in e.value for e in rule[0].evidence)
    assert len(held(finding + timedelta(days=20))) == 1
    assert held(finding + timedelta(days=21)) == []


def test_the_pipeline_rule_follows_a_manager_who_stopped_opening_the_crm() -> None:
    on = GO_LIVE + timedelta(days=60)
    weeks = mondays(on)
    silent_week = weeks[-2]  # the manager opened nothing last week, and is back this week
    found = [
        d for d in playbook_on(on, boss_logins={silent_week: 0}) if d.kind == "playbook_hold_pipeline_rule"
    ]
    assert len(found) == 1
    assert found[0].playbook is not None and found[0].playbook.applies_from == silent_week + timedelta(days=6)
    assert any("opened the CRM on 0 days" in e.value for e in found[0].evidence)
    assert [d for d in playbook_on(on) if d.kind == "playbook_hold_pipeline_rule"] == []


def test_the_pipeline_rule_follows_a_manager_who_ran_last_weeks_review_outside_the_crm() -> None:
    """The manager logs in every day; the plugin's crm_viewed events show a pipeline review run in the
    CRM every week but last week. Weeks before the plugin reported views are unknown, not findings."""
    on = GO_LIVE + timedelta(days=60)
    weeks = mondays(on)
    reporting_since = weeks[-6]
    reviewed = frozenset(m for m in weeks[-6:] if m != weeks[-2])

    def held(use: LeadershipUse) -> list[Diagnostic]:
        return [d for d in playbook_on(on, boss_leadership=use) if d.kind == "playbook_hold_pipeline_rule"]

    found = held(LeadershipUse(reporting_since, 28, review_weeks=reviewed))
    assert len(found) == 1 and found[0].playbook is not None
    assert found[0].playbook.applies_from == weeks[-2] + timedelta(days=6)
    assert [e.value for e in found[0].evidence if e.label == "finding"] == [
        f"boss ran no pipeline review in the CRM in the week of {weeks[-2].isoformat()}"
    ]
    # Every week reviewed in the CRM since the plugin reports views: nothing to hold.
    assert held(LeadershipUse(reporting_since, 28, review_weeks=frozenset(weeks[-6:]))) == []
    # Not reported: unknown, never a finding.
    assert held(NOT_REPORTED) == []
