"""A synthetic organisation with every archetype, through the real broker, consumer, PostgreSQL and
gRPC: classes, scores within the bounds docs/scoring.md states, diagnostics with their evidence,
team health, the write-back feed, published scores and erasure."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime

import asyncpg
import grpc
import pytest
from aiokafka import AIOKafkaConsumer

from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.kafka.records import record_key
from services.sandbox.synthetic.organisation import Archetype, Organisation, OrganisationSpec
from services.scoring.app import RunningScoring, running_scoring
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.platform import scoring_settings
from tests.integration.scoring.scenario_support import caught_up, publish_events

pytestmark = pytest.mark.integration
TENANT = "scenario"
C = scoring_pb2.Classification

# The bounds docs/scoring.md states for the synthetic archetypes (class, adoption range).
BOUNDS = {
    Archetype.ADOPTER: (C.CLASSIFICATION_ADOPTER, 80.0, 100.0),
    Archetype.BULK_LOGGER: (C.CLASSIFICATION_WORKAROUNDER, 40.0, 70.0),
    Archetype.SKEPTIC: (C.CLASSIFICATION_SKEPTIC, 20.0, 45.0),
    Archetype.GHOST: (C.CLASSIFICATION_GHOST, 0.0, 10.0),
    Archetype.SILENT_MAILBOX: (C.CLASSIFICATION_INSUFFICIENT_DATA, 0.0, 100.0),
}


@pytest.fixture(scope="module")
def organisation() -> Organisation:
    return Organisation(OrganisationSpec(tenant_id=TENANT, reps=12, days=35, today=datetime.now(UTC).date()))


@pytest.fixture(scope="module")
async def scoring(isolated: Isolated, organisation: Organisation) -> AsyncIterator[RunningScoring]:
    settings = scoring_settings(isolated, group="scenario")
    async with running_scoring(settings) as running:
        await publish_events(isolated.bootstrap_servers, isolated.topics, organisation.events())
        await eventually(
            lambda: caught_up(isolated.bootstrap_servers, "scenario", isolated.topics), timeout_sec=120
        )
        yield running


@pytest.fixture(scope="module")
async def channel(scoring: RunningScoring, isolated: Isolated) -> AsyncIterator[grpc.aio.Channel]:
    async with isolated.client_tls.channel(f"127.0.0.1:{scoring.grpc_port}") as channel:
        admin = scoring_pb2_grpc.ScoringAdminStub(channel)
        answer = await admin.RescoreTenant(scoring_pb2.RescoreTenantRequest(tenant_id=TENANT))
        assert answer.reps_scored >= 12
        yield channel


@pytest.fixture(scope="module")
def query(channel: grpc.aio.Channel) -> scoring_pb2_grpc.ScoringQueryAsyncStub:
    return scoring_pb2_grpc.ScoringQueryStub(channel)


async def score_of(query: scoring_pb2_grpc.ScoringQueryAsyncStub, rep_id: str) -> scoring_pb2.RepScore:
    score: scoring_pb2.RepScore = await query.GetRepScore(
        scoring_pb2.GetRepScoreRequest(tenant_id=TENANT, rep_id=rep_id)
    )
    return score


async def test_each_archetype_gets_its_class_and_scores_within_bounds(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, organisation: Organisation
) -> None:
    for rep in organisation.reps:
        score = await score_of(query, rep.rep_id)
        expected, low, high = BOUNDS[rep.archetype]
        assert score.classification == expected, (rep, list(score.reasons))
        assert low <= score.adoption_score <= high, (rep, score.adoption_score)
        assert score.reasons and all(score.reasons)
        assert score.team_id == rep.team_id
        # Every calendar week since go-live (at least 4), the last one with the rep's class.
        weeks = (organisation.spec.today - organisation.go_live).days // 7
        assert len(score.trend) in (max(4, weeks + 1), max(4, weeks + 2))
        assert score.trend[-1].classification == score.classification
        # A rep who changes nothing in the CRM keeps no records: no data-quality score, and why.
        no_records = rep.archetype in (Archetype.GHOST, Archetype.SKEPTIC)
        assert score.HasField("data_quality_score") is not no_records, rep
        assert bool(score.data_quality_unavailable_reason) is no_records
        for inputs, total in (
            (score.adoption_inputs, score.adoption_score),
            *(() if no_records else ((score.data_quality_inputs, score.data_quality_score),)),
        ):
            assert all(i.explanation for i in inputs)
            assert sum(i.weight for i in inputs) == pytest.approx(100.0, abs=0.05)
            assert sum(i.contribution for i in inputs) == pytest.approx(total, abs=0.1)
    for adopter in organisation.reps_of(Archetype.ADOPTER):
        assert (await score_of(query, adopter.rep_id)).data_quality_score >= 75.0


async def test_a_rep_whose_mailbox_stopped_is_not_a_ghost_and_capture_is_flagged(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, organisation: Organisation
) -> None:
    silent = organisation.reps_of(Archetype.SILENT_MAILBOX)[0]
    score = await score_of(query, silent.rep_id)
    assert score.classification == C.CLASSIFICATION_INSUFFICIENT_DATA
    assert score.capture.status == "silent"
    assert score.capture.silent_business_days >= 3
    assert any("capture is silent" in r for r in score.reasons)
    for other in organisation.reps:
        if other.archetype is not Archetype.SILENT_MAILBOX:
            assert (await score_of(query, other.rep_id)).capture.status == "healthy"


async def diagnostics(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, **filters: str
) -> list[scoring_pb2.Diagnostic]:
    answer = await query.ListDiagnostics(scoring_pb2.ListDiagnosticsRequest(tenant_id=TENANT, **filters))
    return list(answer.diagnostics)


def open_deals(organisation: Organisation, pattern: str) -> int:
    """Every rep has two open deals, except adopters, who won one of them."""
    team = next(t for t in organisation.teams if t.pattern == pattern)
    return sum(1 if r.archetype is Archetype.ADOPTER else 2 for r in team.members)


def evidence(diagnostic: scoring_pb2.Diagnostic) -> dict[str, str]:
    return {e.label: e.value for e in diagnostic.evidence}


async def test_diagnostics_name_root_causes_with_evidence(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, organisation: Organisation
) -> None:
    found = await diagnostics(query)
    by_kind: dict[str, list[scoring_pb2.Diagnostic]] = {}
    for d in found:
        by_kind.setdefault(d.kind, []).append(d)
    silent = organisation.reps_of(Archetype.SILENT_MAILBOX)[0]
    [capture] = by_kind["capture_silent"]
    assert capture.rep_id == silent.rep_id and capture.severity == "critical"
    assert int(evidence(capture)["silent business days"]) >= 3
    assert "reconnect" in capture.recommendation.lower()

    friction_team = next(t for t in organisation.teams if t.pattern == "friction")
    [friction] = by_kind["friction_field"]
    assert friction.team_id == friction_team.team_id
    assert evidence(friction)["field"] == "Budget"
    deals = open_deals(organisation, "friction")
    assert evidence(friction)["empty on open opportunities"] == f"{deals} of {deals}"
    assert "optional" in friction.recommendation

    [manager] = by_kind["manager_not_using_crm"]
    assert (manager.team_id, manager.rep_id) == (friction_team.team_id, friction_team.manager_rep_id)
    assert evidence(manager)["manager login days"].startswith("0 of")

    unlogged = next(t for t in organisation.teams if t.pattern == "unlogged")
    write_back = {d.team_id: d for d in by_kind["write_back_recommended"]}
    assert evidence(write_back[unlogged.team_id])["meetings logged by hand"] == "0"
    assert "write-back" in write_back[unlogged.team_id].recommendation

    [duplicates] = by_kind["duplicates"]
    # Reps 4 and 8 each own a copy of their first account: two groups, each record named by id.
    groups = [e for e in duplicates.evidence if not e.ref]
    records = [e for e in duplicates.evidence if e.ref]
    assert len(groups) == 2 and len(records) == 4
    assert all(e.object_type == "account" and e.ref in e.value for e in records)
    assert {e.ref for e in records} >= {"r00004-acc0", "r00004-acc0-dup", "r00008-acc0", "r00008-acc0-dup"}
    assert {d.team_id for d in by_kind["unknown_contacts"]} == {t.team_id for t in organisation.teams}
    assert all(e.value.endswith("interactions") for d in by_kind["unknown_contacts"] for e in d.evidence)

    healthy = next(t for t in organisation.teams if t.pattern == "healthy")
    # (the playbook's interventions and timeline are checked by test_playbook.py)
    root_causes = [
        d.kind
        for d in await diagnostics(query, team_id=healthy.team_id)
        if not d.kind.startswith(("intervention_", "playbook_"))
    ]
    assert root_causes == ["capture_silent", "unknown_contacts"]
    assert [d.kind for d in await diagnostics(query, rep_id=silent.rep_id)] == ["capture_silent"]


async def test_team_health_against_targets_and_go_live_milestones(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, organisation: Organisation
) -> None:
    healthy = next(t for t in organisation.teams if t.pattern == "healthy")
    health = await query.GetTeamHealth(
        scoring_pb2.GetTeamHealthRequest(tenant_id=TENANT, team_id=healthy.team_id)
    )
    metrics = {m.name: m for m in health.metrics}
    assert set(metrics) == {
        "weekly_active_users",
        "dau_mau",
        "required_field_completeness",
        "pipeline_without_activity_7d",
        "data_quality",
    }
    assert metrics["weekly_active_users"].value == 1.0 and metrics["weekly_active_users"].meets_target
    assert metrics["required_field_completeness"].value == 1.0
    assert not metrics["pipeline_without_activity_7d"].higher_is_better
    assert [(m.days_after_go_live, m.reached) for m in health.milestones] == [
        (30, True),
        (60, False),
        (90, False),
    ]
    thirty = {m.name: m for m in health.milestones[0].metrics}
    assert thirty["weekly_active_users"].available
    assert not thirty["required_field_completeness"].available  # no snapshot was taken on that day

    friction = next(t for t in organisation.teams if t.pattern == "friction")
    poor = await query.GetTeamHealth(
        scoring_pb2.GetTeamHealthRequest(tenant_id=TENANT, team_id=friction.team_id)
    )
    completeness = next(m for m in poor.metrics if m.name == "required_field_completeness")
    assert completeness.value == 0.5 and not completeness.meets_target  # Budget empty, NextStep filled

    whole = await query.GetTeamHealth(scoring_pb2.GetTeamHealthRequest(tenant_id=TENANT))
    assert whole.team_id == "" and whole.metrics
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await query.GetTeamHealth(scoring_pb2.GetTeamHealthRequest(tenant_id=TENANT, team_id="nope"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


async def test_field_friction_readiness_and_forecasts(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, organisation: Organisation
) -> None:
    friction = next(t for t in organisation.teams if t.pattern == "friction")
    fields = await query.GetFieldFriction(
        scoring_pb2.GetFieldFrictionRequest(tenant_id=TENANT, team_id=friction.team_id)
    )
    deals = open_deals(organisation, "friction")
    assert [(f.field, f.empty, f.open_opportunities) for f in fields.fields] == [
        ("Budget", deals, deals),
        ("NextStep", 0, deals),
    ]

    report = await query.GetReadinessReport(scoring_pb2.GetReadinessReportRequest(tenant_id=TENANT))
    assert report.open_opportunities == 24 - len(organisation.reps_of(Archetype.ADOPTER))
    assert [g.object_type for g in report.duplicates] == ["account", "account"]
    assert all(len(g.records) == 2 and "same web domain" in g.reason for g in report.duplicates)
    assert report.missing_fields[0].field == "Budget"

    answer = await query.ListForecastAccuracy(scoring_pb2.ListForecastAccuracyRequest(tenant_id=TENANT))
    by_rep = {e.rep_id: e for e in answer.entries}
    assert set(by_rep) == {r.rep_id for r in organisation.reps}
    adopter = by_rep[organisation.reps_of(Archetype.ADOPTER)[0].rep_id]
    committed, won = organisation.forecast_of(adopter.rep_id)
    assert (adopter.committed_amount, adopter.closed_won_amount) == (committed, won)
    assert adopter.error_ratio == pytest.approx(abs(won - committed) / committed, abs=1e-4)
    assert adopter.within_target and won != committed
    ghost = by_rep[organisation.reps_of(Archetype.GHOST)[0].rep_id]
    assert (ghost.closed_won_amount, ghost.within_target) == (0.0, False)


async def test_opportunities_review_ready_and_the_agenda(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, organisation: Organisation
) -> None:
    adopter = organisation.reps_of(Archetype.ADOPTER)[0]
    skeptic = organisation.reps_of(Archetype.SKEPTIC)[0]
    mine = await query.ListOpportunities(
        scoring_pb2.ListOpportunitiesRequest(tenant_id=TENANT, rep_id=adopter.rep_id)
    )
    assert len(mine.opportunities) == 1  # the other one was won
    assert mine.opportunities[0].HasField("last_activity_at")
    ready = await query.ListOpportunities(
        scoring_pb2.ListOpportunitiesRequest(tenant_id=TENANT, rep_id=adopter.rep_id, review_ready_only=True)
    )
    assert [o.crm_id for o in ready.opportunities] == [o.crm_id for o in mine.opportunities]
    stale = await query.ListOpportunities(
        scoring_pb2.ListOpportunitiesRequest(tenant_id=TENANT, rep_id=skeptic.rep_id, review_ready_only=True)
    )
    assert list(stale.opportunities) == []  # never updated: no current next step
    pages: list[str] = []
    token = ""
    while True:
        page = await query.ListOpportunities(
            scoring_pb2.ListOpportunitiesRequest(tenant_id=TENANT, page_size=5, page_token=token)
        )
        pages += [o.crm_id for o in page.opportunities]
        token = page.next_page_token
        if not token:
            break
    assert len(pages) == len(set(pages)) == 24 - len(organisation.reps_of(Archetype.ADOPTER))

    days_with_meetings = []
    for day_offset in range(7):
        day = organisation.spec.today.fromordinal(organisation.spec.today.toordinal() - day_offset)
        agenda = await query.GetRepAgenda(
            scoring_pb2.GetRepAgendaRequest(tenant_id=TENANT, rep_id=adopter.rep_id, date=day.isoformat())
        )
        if agenda.items:
            days_with_meetings.append(agenda)
    assert days_with_meetings
    # A meeting on an account with an open deal (the adopter's other deal is won).
    item = next(i for agenda in days_with_meetings for i in agenda.items if i.opportunity.crm_id)
    assert item.meeting.kind == 3 and item.account.crm_id and item.opportunity.crm_id
    assert item.account.object_type == "account" and item.opportunity.object_type == "opportunity"


async def test_the_write_back_feed_pages_in_order_without_gaps_or_repeats(
    query: scoring_pb2_grpc.ScoringQueryAsyncStub, isolated: Isolated
) -> None:
    seen: list[int] = []
    after = 0
    while True:
        page = await query.ListMatchedActivities(
            scoring_pb2.ListMatchedActivitiesRequest(tenant_id=TENANT, after_sequence=after, page_size=200)
        )
        if not page.activities:
            assert page.last_sequence == after
            break
        for matched in page.activities:
            assert matched.account_crm_id or matched.contact_crm_ids
            assert matched.reason and 0 < matched.confidence <= 1 and matched.links
            assert matched.activity.tenant_id == TENANT
            seen.append(matched.feed_sequence)
        after = page.last_sequence
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    conn = await asyncpg.connect(isolated.database_url)
    try:
        fed = await conn.fetchval(
            "SELECT count(*) FROM scoring.activities WHERE tenant_id = $1 AND feed_sequence > 0", TENANT
        )
        unmatched_fed = await conn.fetchval(
            "SELECT count(*) FROM scoring.activities WHERE tenant_id = $1 AND feed_sequence = 0 "
            "AND (account_crm_id <> '' OR cardinality(contact_crm_ids) > 0)",
            TENANT,
        )
    finally:
        await conn.close()
    assert len(seen) == fed and unmatched_fed == 0


async def test_scores_are_published_keyed_by_rep(
    isolated: Isolated, channel: grpc.aio.Channel, organisation: Organisation
) -> None:
    consumer = AIOKafkaConsumer(
        isolated.topics.scores, bootstrap_servers=isolated.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    latest: dict[bytes, bytes | None] = {}
    try:

        async def all_reps() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                latest.update((r.key, r.value) for r in records if r.key is not None)
            return all(record_key(TENANT, r.rep_id) in latest for r in organisation.reps)

        await eventually(all_reps, timeout_sec=30)
    finally:
        await consumer.stop()
    value = latest[record_key(TENANT, organisation.reps[0].rep_id)]
    assert value is not None and scoring_pb2.RepScore.FromString(value).rep_id == organisation.reps[0].rep_id


async def test_bad_input_and_other_tenants(query: scoring_pb2_grpc.ScoringQueryAsyncStub) -> None:
    bad: list[Awaitable[object]] = [
        query.GetRepScore(scoring_pb2.GetRepScoreRequest(rep_id="rep-00001")),
        query.ListRepScores(scoring_pb2.ListRepScoresRequest(tenant_id=TENANT, page_token="%%%")),
        query.GetRepAgenda(
            scoring_pb2.GetRepAgendaRequest(tenant_id=TENANT, rep_id="rep-00001", date="tomorrow")
        ),
        query.ListMatchedActivities(
            scoring_pb2.ListMatchedActivitiesRequest(tenant_id=TENANT, after_sequence=-1)
        ),
        query.ListOpportunities(scoring_pb2.ListOpportunitiesRequest(tenant_id=TENANT, page_size=100000)),
    ]
    for index, call in enumerate(bad):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await call
            pytest.fail(f"bad request {index} was accepted")
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await query.GetRepScore(scoring_pb2.GetRepScoreRequest(tenant_id="someone-else", rep_id="rep-00001"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    other = await query.ListDiagnostics(scoring_pb2.ListDiagnosticsRequest(tenant_id="someone-else"))
    assert list(other.diagnostics) == []
    scores = await query.ListRepScores(scoring_pb2.ListRepScoresRequest(tenant_id=TENANT, page_size=5))
    assert len(scores.scores) == 5 and scores.next_page_token
    config = await query.GetTenantConfig(scoring_pb2.GetTenantConfigRequest(tenant_id=TENANT))
    assert config.version == 1 and config.score_weights["crm_login_days"] == 20.0 and config.window_days == 28


async def test_erasure_removes_everything_publishes_a_tombstone_and_survives_replay(
    isolated: Isolated,
    channel: grpc.aio.Channel,
    query: scoring_pb2_grpc.ScoringQueryAsyncStub,
    organisation: Organisation,
) -> None:
    ghost = organisation.reps_of(Archetype.GHOST)[0].rep_id
    admin = scoring_pb2_grpc.ScoringAdminStub(channel)
    erased = await admin.EraseRep(scoring_pb2.EraseRepRequest(tenant_id=TENANT, rep_id=ghost))
    assert erased.activities_deleted > 100 and erased.aggregates_deleted > 20 and erased.scores_deleted >= 1
    assert erased.tombstone_published
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await score_of(query, ghost)
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    assert not (
        await query.ListActivities(scoring_pb2.ListActivitiesRequest(tenant_id=TENANT, rep_id=ghost))
    ).activities

    consumer = AIOKafkaConsumer(
        isolated.topics.scores, bootstrap_servers=isolated.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    tombstones: list[bytes] = []
    try:

        async def tombstone_seen() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                tombstones.extend(r.key for r in records if r.value is None and r.key is not None)
            return record_key(TENANT, ghost) in tombstones

        await eventually(tombstone_seen, timeout_sec=30)
    finally:
        await consumer.stop()

    # A replay of the ghost's old events (as after a consumer reset) does not bring anything back.
    replay = [e for e in organisation.events() if e.rep_id == ghost]
    assert len(replay) > 100
    await publish_events(isolated.bootstrap_servers, isolated.topics, replay)
    await eventually(
        lambda: caught_up(isolated.bootstrap_servers, "scenario", isolated.topics), timeout_sec=60
    )
    conn = await asyncpg.connect(isolated.database_url)
    try:
        for table in ("activities", "rep_days", "manual_logs", "rep_scores", "activity_addresses"):
            count = await conn.fetchval(
                f"SELECT count(*) FROM scoring.{table} WHERE tenant_id = $1 AND rep_id = $2", TENANT, ghost
            )
            assert count == 0, table
    finally:
        await conn.close()
