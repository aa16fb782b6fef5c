"""The background rescore: changed reps only, a full pass once a day, nothing rewritten that did not
change, old dedupe keys forgotten."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plumbing.db.pool import Pool
from services.sandbox.synthetic import events as ev
from services.scoring.adapters.pg_ingest_store import PgIngestStore
from services.scoring.domain.crm_events import decode_crm_event
from services.scoring.domain.instants import datetime_to_us
from services.scoring.operations.ingest import IngestService
from services.scoring.wiring import build_rescore
from tests.integration.scoring.conftest import empty_scoring_tables
from tests.unit.scoring.world import HISTORY_END, NOW, decoded_history

pytestmark = pytest.mark.integration


async def test_rescoring_follows_changes_and_days(scoring_pool: Pool) -> None:
    await empty_scoring_tables(scoring_pool)
    ingest = IngestService(PgIngestStore(scoring_pool), now_us=lambda: datetime_to_us(NOW))
    await ingest.apply(decoded_history())
    today = [NOW]
    service = build_rescore(scoring_pool, now=lambda: today[0])

    first = await service.run_due()
    assert [(o.tenant_id, o.full) for o in first] == [("t1", True), ("t2", True)]
    assert await scoring_pool.fetchval("SELECT count(*) FROM dirty_reps") == 0
    assert await scoring_pool.fetchval("SELECT count(*) FROM rescore_requests") == 0
    scored = await scoring_pool.fetchval("SELECT count(*) FROM rep_scores WHERE tenant_id = 't1'")
    assert scored == 3  # r1, r2 and the manager m1
    assert (
        await scoring_pool.fetchval("SELECT count(*) FROM team_health_snapshots WHERE tenant_id = 't1'") == 2
    )
    assert await service.run_due() == []  # nothing changed, same day

    await ingest.apply([decode_crm_event(ev.login(tenant_id="t1", rep_id="r1", at=HISTORY_END))])
    changed = await service.run_due()
    assert [(o.tenant_id, o.full, o.reps_scored, o.scores_changed) for o in changed] == [("t1", False, 1, 1)]

    await scoring_pool.execute(
        "INSERT INTO processed_events VALUES ('t1', 'ancient', now() - interval '40 days')"
    )
    today[0] = NOW + timedelta(days=1)
    next_day = await service.run_due()
    assert {(o.tenant_id, o.full) for o in next_day} == {("t1", True), ("t2", True)}
    assert (
        await scoring_pool.fetchval("SELECT count(*) FROM processed_events WHERE event_id = 'ancient'") == 0
    )
    assert await scoring_pool.fetchval("SELECT count(*) FROM processed_events") > 0
