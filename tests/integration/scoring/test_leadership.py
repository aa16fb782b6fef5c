"""Leadership signals per kind through the real broker, consumer, PostgreSQL and gRPC: the plugin
client's crm_viewed events (pipeline reviews and forecasts opened in the CRM) counted per person, day
and kind once each however often delivered, shown in team health and the manager's own line, and read
by the leadership finding and the timeline's "hold the pipeline-review rule".

Both managers log in every business day; only one runs the weekly pipeline review in the CRM."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.db.pool import Pool
from services.scoring.domain.instants import monday_of
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.scoring.habit_world import Habit, HabitWorld, Leadership, Member, scored_world
from tests.integration.scoring.scenario_support import caught_up, publish_events

pytestmark = pytest.mark.integration
TENANT = "leadership"
TODAY = datetime.now(UTC).date()
# The last complete week (a Sunday completes its own), and the week before it.
LAST_WEEK = monday_of(TODAY) - timedelta(days=7 * (TODAY.weekday() != 6))
STOPPED = LAST_WEEK - timedelta(days=7)
WORLD = HabitWorld(
    tenant_id=TENANT,
    today=TODAY,
    teams={
        "team-a": (
            "boss-a",
            (
                Member("ann", "account_executive", Habit(), "Ann Able"),
                # An SDR who never opens the CRM (and sends nothing capture sees): the team's DAU/MAU
                # is an average; the SDR role's own is zero.
                Member(
                    "sid",
                    "sdr",
                    Habit(
                        logs_in=False,
                        writes=False,
                        emails_per_day=0,
                        meeting_weekdays=(),
                        logs_meetings="never",
                    ),
                    "Sid Silent",
                ),
            ),
        ),
        "team-b": ("boss-b", (Member("bob", "account_executive", Habit(), "Bob Baker"),)),
    },
    # Boss B ran the review from a spreadsheet for the last two complete weeks.
    leadership={"boss-a": Leadership(), "boss-b": Leadership(no_reviews_from=STOPPED)},
)


@pytest.fixture(scope="module")
async def query(isolated: Isolated) -> AsyncIterator[scoring_pb2_grpc.ScoringQueryAsyncStub]:
    async with scored_world(isolated, WORLD, "leadership") as stub:
        yield stub


async def health(query: scoring_pb2_grpc.ScoringQueryAsyncStub, team_id: str) -> scoring_pb2.TeamHealth:
    found: scoring_pb2.TeamHealth = await query.GetTeamHealth(
        scoring_pb2.GetTeamHealthRequest(tenant_id=TENANT, team_id=team_id)
    )
    return found


async def diagnostics(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, kind: str
) -> list[scoring_pb2.Diagnostic]:
    found = await query.ListDiagnostics(scoring_pb2.ListDiagnosticsRequest(tenant_id=TENANT))
    return [d for d in found.diagnostics if d.kind == kind]


async def test_team_health_shows_each_managers_pipeline_reviews_and_forecasts_in_the_crm(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    a, b = (await health(query, "team-a")).leadership, (await health(query, "team-b")).leadership
    assert (a.manager_rep_id, b.manager_rep_id) == ("boss-a", "boss-b")
    assert a.reported and b.reported and a.window_days == 28
    assert a.weeks_judged >= 3 and a.weeks_with_pipeline_review == a.weeks_judged and a.meets_target
    assert b.weeks_judged == a.weeks_judged and b.weeks_with_pipeline_review == b.weeks_judged - 2
    assert not b.meets_target and b.target_review_share == pytest.approx(0.75)
    # The Mondays of the window before today (the history ends yesterday); Boss B's stop before STOPPED.
    mondays = [TODAY - timedelta(days=n) for n in range(1, 28) if (TODAY - timedelta(days=n)).weekday() == 0]
    assert a.pipeline_review_days == len(mondays)
    assert b.pipeline_review_days == len([m for m in mondays if m < STOPPED])
    assert a.forecast_days == b.forecast_days >= 3  # both pull the forecast every Friday
    # The whole tenant has no manager of its own.
    assert not (await health(query, "")).HasField("leadership")


async def test_the_managers_own_line_says_how_often_they_reviewed_in_the_crm(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    score = await query.GetRepScore(scoring_pb2.GetRepScoreRequest(tenant_id=TENANT, rep_id="boss-b"))
    assert score.classification == scoring_pb2.CLASSIFICATION_MANAGER
    weeks = (await health(query, "team-b")).leadership.weeks_judged
    assert f"ran the pipeline review in the CRM in {weeks - 2} of the last {weeks} weeks" in score.reasons


async def test_the_leadership_finding_names_the_manager_reviewing_outside_the_crm(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    [found] = await diagnostics(query, "manager_reviews_outside_crm")
    assert (found.team_id, found.rep_id) == ("team-b", "boss-b")
    evidence = [(e.label, e.value) for e in found.evidence]
    assert ("no pipeline review in the CRM in the week of", STOPPED.isoformat()) in evidence
    assert ("no pipeline review in the CRM in the week of", LAST_WEEK.isoformat()) in evidence
    # Both log in daily: the login-based finding alone would have seen nothing.
    assert await diagnostics(query, "manager_not_using_crm") == []


async def test_the_pipeline_rule_is_held_after_the_weeks_reviewed_outside_the_crm(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    [rule] = await diagnostics(query, "playbook_hold_pipeline_rule")
    assert rule.team_id == "team-b"
    findings = [e.value for e in rule.evidence if e.label == "finding"]
    assert findings == [f"boss-b ran no pipeline review in the CRM in the week of {STOPPED.isoformat()}"]
    assert rule.applies_from == (STOPPED + timedelta(days=6)).isoformat()
    assert rule.expires_on == (STOPPED + timedelta(days=27)).isoformat()


async def test_views_delivered_again_are_counted_once(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, isolated: Isolated, scoring_pool: Pool
) -> None:
    count = "SELECT sum(views) FROM crm_view_days WHERE tenant_id = $1 AND kind = $2"
    reviews = [e for e in WORLD.events() if isinstance(e, crm_pb2.CrmEvent) and e.HasField("crm_viewed")]
    before = await scoring_pool.fetchval(count, TENANT, "pipeline_review")
    expected = sum(1 for e in reviews if e.crm_viewed.kind == crm_pb2.CRM_VIEW_KIND_PIPELINE_REVIEW)
    assert before == expected
    await publish_events(isolated.bootstrap_servers, isolated.topics, reviews)
    await eventually(
        lambda: caught_up(isolated.bootstrap_servers, "leadership", isolated.topics), timeout_sec=120
    )
    assert await scoring_pool.fetchval(count, TENANT, "pipeline_review") == expected
    assert await scoring_pool.fetchval(count, TENANT, "forecast") == len(reviews) - expected


async def test_each_role_has_its_own_active_users_against_the_targets(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    roles = {r.role: r for r in (await health(query, "team-a")).roles}
    active = {role: {m.name: m for m in line.active} for role, line in roles.items()}
    ae, sdr = active["account_executive"], active["sdr"]
    assert ae["weekly_active_users"].value == 1.0 and ae["weekly_active_users"].meets_target
    assert ae["dau_mau"].value >= 0.6 and ae["dau_mau"].meets_target and ae["dau_mau"].target == 0.6
    assert (sdr["weekly_active_users"].value, sdr["weekly_active_users"].denominator) == (0.0, 1)
    assert sdr["dau_mau"].value == 0.0 and not sdr["dau_mau"].meets_target
    team = {m.name: m for m in (await health(query, "team-a")).metrics}
    assert team["weekly_active_users"].value == 0.5  # the average the role lines take apart
    # The whole tenant's lines count every team's members of the role.
    tenant = {r.role: r for r in (await health(query, "")).roles}
    ae_tenant = {m.name: m for m in tenant["account_executive"].active}
    assert ae_tenant["weekly_active_users"].denominator == 2
