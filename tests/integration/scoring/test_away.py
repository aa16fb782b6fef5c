"""Out of office and start dates, through the real broker, consumer, PostgreSQL and gRPC: a rep on
holiday whose calendar says so reads "away" (no reconnect advice) and is not scored lower than a
peer who worked; the same absence without the calendar entry is a silent mailbox; a new hire whose
mailbox was migrated with weeks of older mail is judged from their start date only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from tests.integration.conftest import Isolated
from tests.integration.scoring.habit_world import Habit, HabitWorld, Member, scored_world

pytestmark = pytest.mark.integration
TENANT = "away"
AWAY_DAYS = 9
STARTED_DAYS_AGO = 12
TODAY = datetime.now(UTC).date()
WORLD = HabitWorld(
    tenant_id=TENANT,
    today=TODAY,
    teams={
        "team-a": (
            "boss-a",
            (
                Member("peer", "account_executive", Habit()),
                Member("holiday", "account_executive", Habit(away_last_days=AWAY_DAYS)),
                Member(
                    "vanished", "account_executive", Habit(away_last_days=AWAY_DAYS, announces_away=False)
                ),
                Member("new-hire", "account_executive", Habit(started_days_ago=STARTED_DAYS_AGO)),
            ),
        )
    },
)


@pytest.fixture(scope="module")
async def query(isolated: Isolated) -> AsyncIterator[scoring_pb2_grpc.ScoringQueryAsyncStub]:
    async with scored_world(isolated, WORLD, "away") as stub:
        yield stub


async def score(query: scoring_pb2_grpc.ScoringQueryAsyncStub, rep_id: str) -> scoring_pb2.RepScore:
    found: scoring_pb2.RepScore = await query.GetRepScore(
        scoring_pb2.GetRepScoreRequest(tenant_id=TENANT, rep_id=rep_id)
    )
    return found


async def diagnostic_kinds(query: scoring_pb2_grpc.ScoringQueryAsyncStub, rep_id: str) -> set[str]:
    found = await query.ListDiagnostics(scoring_pb2.ListDiagnosticsRequest(tenant_id=TENANT, rep_id=rep_id))
    return {d.kind for d in found.diagnostics}


def login_input(found: scoring_pb2.RepScore) -> scoring_pb2.ScoreInput:
    return next(i for i in found.adoption_inputs if i.name == "crm_login_days")


async def test_a_rep_on_holiday_reads_away_and_gets_no_reconnect_advice(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    holiday, vanished = await score(query, "holiday"), await score(query, "vanished")
    assert holiday.capture.status == "away"
    assert "out of office" in holiday.capture.explanation
    assert "capture_silent" not in await diagnostic_kinds(query, "holiday")
    # The same absence without the calendar entry: a silent mailbox, with its reconnect advice.
    assert vanished.capture.status == "silent"
    assert "capture_silent" in await diagnostic_kinds(query, "vanished")


async def test_the_days_away_are_not_held_against_the_rep(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    peer, holiday, vanished = [await score(query, r) for r in ("peer", "holiday", "vanished")]
    # Judged over the days present only: 28 window days less the 9 away.
    assert login_input(holiday).denominator == 28 - AWAY_DAYS
    assert login_input(vanished).denominator == 28
    assert holiday.adoption_score == peer.adoption_score
    assert vanished.adoption_score < holiday.adoption_score
    # This week has no day present: not scored, and says so.
    this_week = holiday.trend[-1]
    assert this_week.away and not this_week.HasField("adoption_score")
    assert not peer.trend[-1].away and peer.trend[-1].HasField("adoption_score")


async def test_a_new_hire_is_judged_from_the_start_date_only(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
) -> None:
    new_hire, peer = await score(query, "new-hire"), await score(query, "peer")
    logins = login_input(new_hire)
    assert logins.denominator == STARTED_DAYS_AGO
    start = TODAY - timedelta(days=STARTED_DAYS_AGO - 1)
    business_days = sum(1 for n in range(STARTED_DAYS_AGO) if (start + timedelta(days=n)).weekday() < 5)
    assert logins.numerator == business_days
    # Weeks of migrated mail before the start date, with no CRM use, do not pull the score down.
    assert new_hire.adoption_score == peer.adoption_score
    assert new_hire.capture.status == "healthy"
