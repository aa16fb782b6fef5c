"""Roles with their own expectations, through the real broker, consumer, PostgreSQL and gRPC: an SDR who
e-mails all day and meets little is not penalised for meetings an account executive is judged on;
scores filter by role; team health compares the roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from tests.integration.conftest import Isolated
from tests.integration.scoring.habit_world import Habit, HabitWorld, Member, scored_world

pytestmark = pytest.mark.integration
TENANT = "roles"
C = scoring_pb2.Classification
# Both prospect and close alike: a login and a change every day, many e-mails, two meetings a week
# they never log, two new contacts every business day. Only their roles differ.
OUTREACH = Habit(emails_per_day=20, meeting_weekdays=(1,), logs_meetings="never", new_contacts_per_day=2)
TODAY = datetime.now(UTC).date()
# The business days of the 28-day window before today (the history ends yesterday): two contacts each.
PROSPECTS = 2 * sum(1 for n in range(1, 28) if (TODAY - timedelta(days=n)).weekday() < 5)
WORLD = HabitWorld(
    tenant_id=TENANT,
    today=TODAY,
    teams={
        "team-a": (
            "boss-a",
            (
                Member("sdr-1", "sdr", OUTREACH),
                Member("ae-1", "account_executive", OUTREACH),
                Member("cs-1", "account_manager", Habit()),
            ),
        )
    },
    # The tenant asks more of its SDRs than the default: five login days a week.
    extra_profiles=(crm_pb2.RoleProfile(role="sdr", thresholds={"target_login_days_per_week": 5.0}),),
)


@pytest.fixture(scope="module")
async def query(isolated: Isolated) -> AsyncIterator[scoring_pb2_grpc.ScoringQueryAsyncStub]:
    async with scored_world(isolated, WORLD, "roles") as stub:
        yield stub


async def score(query: scoring_pb2_grpc.ScoringQueryAsyncStub, rep_id: str) -> scoring_pb2.RepScore:
    found: scoring_pb2.RepScore = await query.GetRepScore(
        scoring_pb2.GetRepScoreRequest(tenant_id=TENANT, rep_id=rep_id)
    )
    return found


def inputs_by_name(found: scoring_pb2.RepScore) -> dict[str, scoring_pb2.ScoreInput]:
    return {i.name: i for i in (*found.adoption_inputs, *found.data_quality_inputs)}


async def test_an_sdr_with_many_emails_and_few_meetings_is_not_penalised_for_meetings(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    sdr, ae = await score(query, "sdr-1"), await score(query, "ae-1")
    assert (sdr.role, ae.role) == ("sdr", "account_executive")
    sdr_inputs, ae_inputs = inputs_by_name(sdr), inputs_by_name(ae)
    # The same unlogged meetings: not expected of an SDR (shown, not scored), held against the AE.
    meeting = sdr_inputs["manual_logging_rate"]
    assert meeting.weight == 0 and meeting.contribution == 0
    assert meeting.explanation.startswith("not expected of an SDR, so not scored")
    assert ae_inputs["manual_logging_rate"].weight == pytest.approx(100 * 30 / 70, abs=0.01)
    assert ae_inputs["manual_logging_rate"].contribution == 0
    assert sdr.classification == C.CLASSIFICATION_ADOPTER, list(sdr.reasons)
    assert sdr.adoption_score == pytest.approx(100.0)
    assert ae.classification == C.CLASSIFICATION_WORKAROUNDER, list(ae.reasons)
    assert any("captured external meetings" in r for r in ae.reasons)
    assert ae.adoption_score == pytest.approx(57.1, abs=0.1)
    # The tenant's own SDR target (5 login days a week) overrides the built-in profile's.
    assert sdr_inputs["crm_login_days"].target == 5.0
    assert ae_inputs["crm_login_days"].target == 4.0
    # Pipeline inputs are not an SDR's; capture coverage weighs most for them.
    assert sdr_inputs["pipeline_freshness"].weight == 0
    quality = [i for i in sdr.data_quality_inputs if i.weight > 0]
    assert sum(i.weight for i in quality) == pytest.approx(100.0, abs=0.05)
    assert max(quality, key=lambda i: i.weight).name == "capture_coverage"


async def test_scores_filter_by_role_and_team_health_compares_roles(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    listed = await query.ListRepScores(scoring_pb2.ListRepScoresRequest(tenant_id=TENANT, role="sdr"))
    assert [s.rep_id for s in listed.scores] == ["sdr-1"]
    first = await query.ListRepScores(
        scoring_pb2.ListRepScoresRequest(tenant_id=TENANT, role="account_executive", page_size=1)
    )
    assert [s.rep_id for s in first.scores] == ["ae-1"] and not first.next_page_token
    health = await query.GetTeamHealth(scoring_pb2.GetTeamHealthRequest(tenant_id=TENANT, team_id="team-a"))
    roles = {r.role: r for r in health.roles}
    assert set(roles) == {"sdr", "account_executive", "account_manager"}
    assert (roles["sdr"].members, roles["sdr"].adopters, roles["sdr"].average_adoption) == (1, 1, 100.0)
    assert (roles["account_executive"].workarounders, roles["account_executive"].adopters) == (1, 0)
    assert roles["account_executive"].average_adoption == pytest.approx(57.1, abs=0.1)


async def test_a_malformed_role_filter_is_invalid_argument(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await query.ListRepScores(scoring_pb2.ListRepScoresRequest(tenant_id=TENANT, role="Account Exec"))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "role" in (raised.value.details() or "")


async def test_record_creation_rate_per_rep_and_team_and_the_data_quality_target(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    """Each rep's deal was last sent with its creation time yesterday (the synthetic CRM stamps
    created_at with each version's time); accounts and first contacts were created at go-live,
    outside the 28-day window; the SDR and the AE added two prospects every business day."""
    sdr = inputs_by_name(await score(query, "sdr-1"))["records_created_per_week"]
    assert (sdr.numerator, sdr.weight) == (1 + PROSPECTS, 0.0)
    assert sdr.value == pytest.approx(round((1 + PROSPECTS) * 7 / 28, 2))
    assert (
        f"created {1 + PROSPECTS} contacts, accounts and deals in the CRM in the last 28 days"
        in sdr.explanation
    )
    health = await query.GetTeamHealth(scoring_pb2.GetTeamHealthRequest(tenant_id=TENANT, team_id="team-a"))
    assert health.records_created_per_week == pytest.approx(round((3 + 2 * PROSPECTS) * 7 / 28, 2))
    quality = next(m for m in health.metrics if m.name == "data_quality")
    assert quality.target == 0.8 and quality.available and quality.denominator == 3
    dau = next(m for m in health.metrics if m.name == "dau_mau")
    assert dau.target == 0.6


async def test_only_an_sdr_is_judged_on_the_new_contacts_they_create(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    """The same prospecting habit: scored for the SDR (their role's own input), absent for the AE."""
    sdr, ae = inputs_by_name(await score(query, "sdr-1")), inputs_by_name(await score(query, "ae-1"))
    contacts = sdr["contacts_created_per_week"]
    assert (contacts.numerator, contacts.denominator, contacts.target) == (PROSPECTS, 28, 5.0)
    assert contacts.value == pytest.approx(round(PROSPECTS * 7 / 28, 2)) and contacts.value >= 5.0
    assert contacts.weight > 0 and contacts.contribution == contacts.weight
    assert "created" in contacts.explanation and "new contacts" in contacts.explanation
    assert "contacts_created_per_week" not in ae
