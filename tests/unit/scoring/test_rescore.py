"""A rescore pass on fake ports: marks are read before the inputs, only changed scores are written,
and only a full pass rewrites team health and diagnostics."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from groundtruth.crm.v1 import crm_pb2
from services.scoring.domain.rep_score import score_rep
from services.scoring.domain.tenant_settings import settings_from_config
from services.scoring.operations.rescore import RescoreService
from services.scoring.operations.settings import SettingsCache, SettingsReader
from services.scoring.operations.tenant_views import TenantViews
from services.scoring.ports import DirtyMarks
from tests.unit.scoring.fakes import FakeConfigs, FakeScoreStore, FakeTenantFacts
from tests.unit.scoring.test_scores import AS_OF, dana

NOW = datetime.combine(AS_OF, time(12), tzinfo=UTC)
CONFIG = crm_pb2.TenantConfig(version=1, required_opportunity_fields=["Budget", "NextStep"])


def _service() -> tuple[RescoreService, FakeScoreStore, FakeTenantFacts]:
    configs = FakeConfigs()
    configs.put("acme", CONFIG)
    inputs = [dana(), dana(rep_id="kim"), dana(rep_id="lou")]
    settings = settings_from_config("acme", CONFIG)
    # kim's stored score is the one this pass computes: it must not be written again.
    store = FakeScoreStore(
        inputs=inputs,
        # (as the pass reads them: with the records kim created, none here)
        hashes={
            "kim": score_rep(replace(inputs[1], records_created=0), settings).content_hash(),
            "lou": b"old",
        },
        marks=DirtyMarks(["kim", "lou"], [7, 8]),
    )
    facts = FakeTenantFacts()
    service = RescoreService(
        store, TenantViews(facts, facts), SettingsReader(configs, SettingsCache()), now=lambda: NOW
    )
    return service, store, facts


async def test_a_changed_pass_scores_the_marked_reps_and_writes_what_changed() -> None:
    service, store, facts = _service()
    outcome = await service.rescore_tenant("acme", full=False)
    assert store.calls == ["dirty_marks", "rep_inputs ['kim', 'lou']", "transaction", "stored_hashes"]
    assert (outcome.reps_scored, outcome.scores_changed) == (2, 1)
    assert store.saved == ["lou"]
    assert store.cleared == [DirtyMarks(["kim", "lou"], [7, 8])]
    assert store.full_passes == [] and facts.saved_health == [] and facts.saved_diagnostics == []


async def test_a_full_pass_scores_everyone_and_refreshes_team_health_and_diagnostics() -> None:
    service, store, facts = _service()
    outcome = await service.rescore_tenant("acme", full=True)
    assert store.calls == [
        "refresh_statistics",
        "dirty_marks",
        "rep_inputs all",
        "transaction",
        "stored_hashes",
    ]
    assert (outcome.reps_scored, outcome.scores_changed) == (3, 2)
    assert sorted(store.saved) == ["dana", "lou"]
    assert store.full_passes == [("acme", AS_OF)]
    [(day, snapshots)] = facts.saved_health
    assert day == AS_OF
    assert [(h.team_id, h.as_of) for h in snapshots] == [("", AS_OF.isoformat())]  # no teams: the tenant
    [(tenant, _diagnostics)] = facts.saved_diagnostics
    assert tenant == "acme"


async def test_the_daily_pass_adds_the_30_day_training_on_its_day_and_drops_it_on_day_45() -> None:
    """The clock is injected: the same inputs rescored on three days give three answers."""
    go_live = AS_OF - timedelta(days=30)
    config = crm_pb2.TenantConfig(version=1, go_live_date=go_live.isoformat())

    async def training_on(now: datetime) -> list[str]:
        configs = FakeConfigs()
        configs.put("acme", config)
        store = FakeScoreStore(inputs=[dana()], hashes={}, marks=DirtyMarks([], []))
        facts = FakeTenantFacts()
        service = RescoreService(
            store, TenantViews(facts, facts), SettingsReader(configs, SettingsCache()), now=lambda: now
        )
        await service.rescore_tenant("acme", full=True)
        return [d.kind for d in facts.saved_diagnostics[-1][1] if d.kind == "playbook_training_30_days"]

    assert await training_on(NOW - timedelta(days=1)) == []
    assert await training_on(NOW) == ["playbook_training_30_days"]
    assert await training_on(NOW + timedelta(days=15)) == []
