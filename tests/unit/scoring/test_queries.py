"""The query operations on fake ports: team checks, field friction sums and order, pages, readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.operations.errors import NotFound
from services.scoring.operations.queries import ScoringQueries, page_of
from services.scoring.operations.reports import CrmReports
from services.scoring.operations.settings import SettingsCache, SettingsReader
from services.scoring.ports import FieldGap
from tests.unit.scoring.fakes import FakeConfigs, FakeCrmReads, FakeScoreReads, FakeTenantFacts

TODAY = date(2026, 11, 27)
GAPS = [
    FieldGap("r1", "Budget", 4, 1),
    FieldGap("r2", "Budget", 4, 3),
    FieldGap("r1", "NextStep", 4, 2),
    FieldGap("r3", "NextStep", 2, 2),
]


@dataclass
class World:
    queries: ScoringQueries
    reports: CrmReports
    scores: FakeScoreReads
    facts: FakeTenantFacts
    crm: FakeCrmReads


def _world(*, teams: bool) -> World:
    """Tenant t1 with two required fields, and team east (r1, r2) when `teams`."""
    configs = FakeConfigs()
    config = crm_pb2.TenantConfig(version=1, required_opportunity_fields=["Budget", "NextStep"])
    if teams:
        config.teams.add(team_id="east", name="East", member_rep_ids=["r1", "r2"])
    configs.put("t1", config)
    settings = SettingsReader(configs, SettingsCache())
    scores, facts, crm = FakeScoreReads(), FakeTenantFacts(gaps=list(GAPS)), FakeCrmReads()
    return World(
        ScoringQueries(scores, facts, settings),
        CrmReports(crm, facts, settings, today=lambda: TODAY),
        scores,
        facts,
        crm,
    )


async def test_field_friction_sums_a_teams_reps_and_puts_the_emptiest_first() -> None:
    queries = _world(teams=True).queries
    east = await queries.field_friction("t1", "east")
    assert [(f.field, f.open_opportunities, f.empty, f.team_id) for f in east] == [
        ("Budget", 8, 4, "east"),  # 50 % empty, tied with NextStep: by name
        ("NextStep", 4, 2, "east"),
    ]
    tenant = await queries.field_friction("t1", "")
    assert [(f.field, f.open_opportunities, f.empty) for f in tenant] == [
        ("NextStep", 6, 4),  # 67 %
        ("Budget", 8, 4),
    ]


@pytest.mark.parametrize("teams", [pytest.param(True, id="teams configured"), pytest.param(False, id="none")])
async def test_field_friction_of_an_unknown_team_is_not_found(teams: bool) -> None:
    queries = _world(teams=teams).queries
    with pytest.raises(NotFound, match="team 'west' is not in the tenant's configuration"):
        await queries.field_friction("t1", "west")


async def test_scores_of_an_unknown_team_are_not_found_only_once_teams_are_configured() -> None:
    strict = _world(teams=True)
    strict.scores.scores = {r: scoring_pb2.RepScore(rep_id=r, team_id="east") for r in ("r1", "r2", "r3")}
    with pytest.raises(NotFound):
        await strict.queries.rep_scores(tenant_id="t1", team_id="west", after_rep_id="", limit=10)
    page = await strict.queries.rep_scores(tenant_id="t1", team_id="east", after_rep_id="", limit=1)
    assert [s.rep_id for s in page.items] == ["r1"] and page.more
    lenient = _world(teams=False).queries
    page = await lenient.rep_scores(tenant_id="t1", team_id="west", after_rep_id="", limit=10)
    assert page.items == [] and not page.more


async def test_a_missing_score_or_snapshot_is_not_found() -> None:
    queries = _world(teams=False).queries
    with pytest.raises(NotFound, match="no score for rep 'r9' yet"):
        await queries.rep_score("t1", "r9")
    with pytest.raises(NotFound, match="team health has not been computed yet"):
        await queries.team_health("t1", "")


@pytest.mark.parametrize(
    ("rows", "limit", "items", "more"),
    [
        pytest.param(3, 2, 2, True, id="one row more than the page: a next page"),
        pytest.param(2, 2, 2, False, id="exactly a page: the last one"),
        pytest.param(0, 2, 0, False, id="nothing"),
    ],
)
def test_a_page_is_read_with_one_extra_row(rows: int, limit: int, items: int, more: bool) -> None:
    page = page_of(list(range(rows)), limit)
    assert (len(page.items), page.more) == (items, more)


async def test_diagnostics_come_most_severe_first() -> None:
    world = _world(teams=False)
    world.scores.stored_diagnostics = [
        scoring_pb2.Diagnostic(id="a", severity="info", kind="k"),
        scoring_pb2.Diagnostic(id="b", severity="critical", kind="z"),
        scoring_pb2.Diagnostic(id="c", severity="odd", kind="a"),
        scoring_pb2.Diagnostic(id="d", severity="warning", kind="k"),
    ]
    found = await world.queries.diagnostics(tenant_id="t1", team_id="", rep_id="")
    assert [d.id for d in found] == ["b", "d", "a", "c"]


async def test_readiness_totals_required_fields_over_every_rep() -> None:
    world = _world(teams=True)
    readiness = await world.reports.readiness("t1")
    assert readiness.counts.open_opportunities == 14
    assert readiness.required_field_completeness == round(1 - 8 / 14, 4)
    assert [(f.field, f.empty) for f in readiness.missing_fields] == [("NextStep", 4), ("Budget", 4)]
    world.facts.gaps = []
    assert (await world.reports.readiness("t1")).required_field_completeness == 0.0


async def test_reports_default_to_today_and_page_opportunities() -> None:
    world = _world(teams=True)
    reports = world.reports
    await reports.agenda(tenant_id="t1", rep_id="r1", day=None)
    await reports.agenda(tenant_id="t1", rep_id="r1", day=date(2026, 1, 2))
    assert world.crm.agenda_days == [TODAY, date(2026, 1, 2)]
    page = await reports.opportunities(
        tenant_id="t1", team_id="", rep_id="r1", review_ready_only=False, after_crm_id="", limit=2
    )
    assert [o.crm_id for o in page.items] == ["o0", "o1"] and page.more
    [query] = world.crm.opportunity_queries
    assert (query.owners, query.limit, query.today) == (["r1"], 3, TODAY)
    with pytest.raises(NotFound):
        await reports.opportunities(
            tenant_id="t1", team_id="west", rep_id="", review_ready_only=False, after_crm_id="", limit=2
        )
    feed = await reports.matched_feed(tenant_id="t1", after=41, limit=10, rep_id="")
    assert (feed.activities, feed.last_sequence) == ([], 41)
