"""The adoption playbook through the real broker, consumer, PostgreSQL and gRPC: every non-adopter gets
the ADKAR stage its evidence points to and its intervention with the concrete handle (the named peer
adopter of the same team and role, the friction fields, the expectation with its date), and the
timeline recommendation that applies today (35 days after go-live: the 30-day training)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from tests.integration.conftest import Isolated
from tests.integration.scoring.habit_world import Habit, HabitWorld, Member, scored_world

pytestmark = pytest.mark.integration
TENANT = "playbook"
C = scoring_pb2.Classification
TODAY = datetime.now(UTC).date()
ADOPTER = Habit()
WORLD = HabitWorld(
    tenant_id=TENANT,
    today=TODAY,
    teams={
        "team-a": (
            "boss-a",
            (
                # An SDR adopter sorts first and scores as high: the peer must still be of the same role.
                Member("aaron", "sdr", ADOPTER, "Aaron Sdr"),
                Member("ada", "account_executive", ADOPTER, "Ada Lovelace"),
                Member("sam", "account_executive", Habit(writes=False, logs_meetings="never"), "Sam Doubt"),
                Member(
                    "wes", "account_executive", Habit(logs_meetings="friday", fills_budget=False), "Wes Later"
                ),
                Member(
                    "gus",
                    "account_executive",
                    Habit(logs_in=False, writes=False, logs_meetings="never"),
                    "Gus Away",
                ),
            ),
        ),
        # No adopter of the role in this team: the peer comes from another team, and says so.
        "team-b": (
            "boss-b",
            (Member("tom", "account_executive", Habit(writes=False, logs_meetings="never"), "Tom Alone"),),
        ),
    },
)


@pytest.fixture(scope="module")
async def query(isolated: Isolated) -> AsyncIterator[scoring_pb2_grpc.ScoringQueryAsyncStub]:
    async with scored_world(isolated, WORLD, "playbook") as stub:
        yield stub


async def of_rep(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, rep_id: str
) -> tuple[int, scoring_pb2.Diagnostic]:
    score = await query.GetRepScore(scoring_pb2.GetRepScoreRequest(tenant_id=TENANT, rep_id=rep_id))
    found = await query.ListDiagnostics(scoring_pb2.ListDiagnosticsRequest(tenant_id=TENANT, rep_id=rep_id))
    playbook = [d for d in found.diagnostics if d.kind.startswith("intervention_")]
    assert len(playbook) == 1, [d.kind for d in found.diagnostics]
    return score.classification, playbook[0]


def evidence(d: scoring_pb2.Diagnostic) -> dict[str, str]:
    return {e.label: e.value for e in d.evidence}


async def test_a_skeptic_is_paired_with_a_named_adopter_of_the_same_team_and_role(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    cls, d = await of_rep(query, "sam")
    assert cls == C.CLASSIFICATION_SKEPTIC
    assert (d.kind, d.adkar_stage, d.peer_rep_id) == ("intervention_skeptic", "desire", "ada")
    assert "Pair Sam Doubt with Ada Lovelace (same team and role" in d.recommendation
    assert "fix the underlying issue" in d.recommendation
    assert evidence(d)["why this peer"].startswith("same team and role")
    # The rep's own words: what would help, never the label.
    assert "Ada Lovelace" in d.for_rep and "skeptic" not in d.for_rep.lower()
    assert d.applies_from == TODAY.isoformat()


async def test_without_an_adopter_of_the_role_in_the_team_the_peer_comes_from_another_team(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    cls, d = await of_rep(query, "tom")
    assert cls == C.CLASSIFICATION_SKEPTIC
    assert d.peer_rep_id == "ada"
    assert evidence(d)["why this peer"].startswith("same role, another team")


async def test_a_workarounder_gets_shadowing_integration_and_the_fields_they_hit(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    cls, d = await of_rep(query, "wes")
    assert cls == C.CLASSIFICATION_WORKAROUNDER
    assert (d.kind, d.adkar_stage) == ("intervention_workarounder", "ability")
    assert list(d.friction_fields) == ["Budget"]
    assert d.recommendation.startswith("Shadow Wes Later for a day")
    assert "Start with Budget" in d.recommendation and "write-back" in d.recommendation
    assert "workarounder" not in d.for_rep.lower() and "Budget" in d.for_rep


async def test_a_ghost_gets_an_expectation_with_a_date(query: scoring_pb2_grpc.ScoringQueryAsyncStub) -> None:
    cls, d = await of_rep(query, "gus")
    assert cls == C.CLASSIFICATION_GHOST
    due = (TODAY + timedelta(days=7)).isoformat()
    assert (d.kind, d.adkar_stage, d.due_on, d.severity) == (
        "intervention_ghost",
        "reinforcement",
        due,
        "warning",
    )
    assert f"current in the CRM by {due}" in d.recommendation
    assert "pipeline reviews use only what the CRM shows" in d.recommendation
    assert due in d.for_rep and "ghost" not in d.for_rep.lower()


async def test_adopters_get_no_intervention_and_the_30_day_training_applies_today(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    for adopter in ("ada", "aaron"):
        found = await query.ListDiagnostics(
            scoring_pb2.ListDiagnosticsRequest(tenant_id=TENANT, rep_id=adopter)
        )
        assert not [d for d in found.diagnostics if d.kind.startswith("intervention_")]
    found = await query.ListDiagnostics(
        scoring_pb2.ListDiagnosticsRequest(tenant_id=TENANT, team_id="team-a")
    )
    training = [d for d in found.diagnostics if d.kind == "playbook_training_30_days"]
    assert len(training) == 1
    go_live = WORLD.go_live
    assert training[0].applies_from == (go_live + timedelta(days=30)).isoformat()
    assert training[0].expires_on == (go_live + timedelta(days=45)).isoformat()
    assert sorted(e.ref for e in training[0].evidence if e.object_type == "rep") == [
        "aaron",
        "ada",
        "gus",
        "sam",
        "wes",
    ]


async def test_the_documented_reasons_of_the_worked_example(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    """docs/scoring.md's worked example per class quotes these."""
    wes = await query.GetRepScore(scoring_pb2.GetRepScoreRequest(tenant_id=TENANT, rep_id="wes"))
    assert any(r.startswith("only 0% of manual logs are entered within 24 hours") for r in wes.reasons), list(
        wes.reasons
    )
    assert any(r.startswith("50% of manual logs are entered more than 48 hours late") for r in wes.reasons)
    gus = await query.GetRepScore(scoring_pb2.GetRepScoreRequest(tenant_id=TENANT, rep_id="gus"))
    days = [TODAY - timedelta(days=n) for n in range(1, 14)]  # history ends yesterday
    captured = sum(6 for d in days if d.weekday() < 5) + sum(1 for d in days if d.weekday() in (1, 3))
    assert list(gus.reasons) == [
        f"no CRM login or change in the last 14 days while {captured} external e-mails and meetings "
        "were captured"
    ]
