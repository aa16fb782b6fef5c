"""Two ingesters of one tenant at once (as two scoring processes sharing its partitions): rep-local
batches hold the tenant shared and a key per rep, and the result is what one process makes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plumbing.db.pool import Pool
from services.scoring.adapters.pg_ingest_store import PgIngestStore, tenant_lock_key
from services.scoring.domain.activities import CapturedActivity
from services.scoring.domain.ingest_locks import is_tenant_wide
from services.scoring.domain.instants import datetime_to_us
from services.scoring.operations.ingest import Decoded, IngestService
from tests.integration.scoring.pg_state import comparable_state, feed_positions
from tests.integration.scoring.test_store_equivalence import deliver_to_postgres, one_by_one
from tests.unit.scoring.test_ingest_fold import HISTORY
from tests.unit.scoring.world import NOW

pytestmark = pytest.mark.integration

REPS = sorted({(e.tenant_id, e.rep_id) for e in HISTORY if not is_tenant_wide(e)})


def _service(pool: Pool, *, lock_budget: int | None = None) -> IngestService:
    return IngestService(PgIngestStore(pool, lock_budget=lock_budget), now_us=lambda: datetime_to_us(NOW))


async def _deliver(service: IngestService, events: Sequence[Decoded], size: int) -> None:
    for start in range(0, len(events), size):
        await service.apply(events[start : start + size])


@st.composite
def two_streams(draw: st.DrawFn) -> tuple[list[Decoded], list[Decoded], int]:
    """Each rep's events to one ingester or to both (overlapping reps: delivered twice, at once);
    tenant-wide events to either. Shuffled, then cut into batches of a drawn size."""
    owner = {rep: draw(st.sampled_from(["a", "b", "both"])) for rep in REPS}
    first: list[Decoded] = []
    second: list[Decoded] = []
    for event in HISTORY:
        side = (
            draw(st.sampled_from(["a", "b"]))
            if is_tenant_wide(event)
            else owner[(event.tenant_id, event.rep_id)]
        )
        if side in ("a", "both"):
            first.append(event)
        if side in ("b", "both"):
            second.append(event)
    return draw(st.permutations(first)), draw(st.permutations(second)), draw(st.integers(1, 8))


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=two_streams())
async def test_two_ingesters_of_one_tenant_at_once_end_in_the_single_process_state(
    scoring_pool: Pool, case: tuple[list[Decoded], list[Decoded], int]
) -> None:
    first, second, size = case
    await deliver_to_postgres(scoring_pool, [])
    await asyncio.gather(
        _deliver(_service(scoring_pool), first, size), _deliver(_service(scoring_pool), second, size)
    )
    assert await comparable_state(scoring_pool) == (await one_by_one(HISTORY)).comparable(with_feed=False)
    for taken in (await feed_positions(scoring_pool)).values():
        assert len(set(taken)) == len(taken), "a feed position was given twice"


async def _waiting_on(pool: Pool, key: int) -> list[str]:
    """Modes of advisory-lock requests on `key` that are waiting (not granted)."""
    rows = await pool.fetch(
        "SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1",
        (key >> 32) & 0xFFFFFFFF,
        key & 0xFFFFFFFF,
    )
    return [r["mode"] for r in rows]


async def _apply_while_the_tenant_is_held_shared(pool: Pool, lock_budget: int) -> tuple[bool, list[str]]:
    """Apply a batch of two reps' activities while another transaction holds the tenant's lock
    shared; (whether it completed while the other still held it, the lock modes it waited for)."""
    batch = [e for e in HISTORY if isinstance(e, CapturedActivity) and e.tenant_id == "t1"]
    assert {e.rep_id for e in batch} == {"r1", "r2"}
    await deliver_to_postgres(pool, [])
    key = tenant_lock_key("t1")
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute("SELECT pg_advisory_xact_lock_shared($1)", key)
        applying = asyncio.ensure_future(_service(pool, lock_budget=lock_budget).apply(batch))
        waited: list[str] = []
        while not applying.done() and not waited:
            waited = await _waiting_on(pool, key)
            await asyncio.sleep(0.01)
        completed_while_held = applying.done()
    await applying
    written = await pool.fetchval("SELECT count(*) FROM activities WHERE tenant_id = 't1'")
    assert written == len({e.id for e in batch})
    return completed_while_held, waited


async def test_a_batch_within_the_lock_budget_holds_the_tenant_shared(scoring_pool: Pool) -> None:
    assert await _apply_while_the_tenant_is_held_shared(scoring_pool, lock_budget=2) == (True, [])


async def test_a_batch_with_more_reps_than_the_lock_budget_takes_the_tenant_exclusively(
    scoring_pool: Pool,
) -> None:
    completed_while_held, waited = await _apply_while_the_tenant_is_held_shared(scoring_pool, lock_budget=1)
    assert (completed_while_held, waited) == (False, ["ExclusiveLock"])


async def test_the_lock_budget_is_a_share_of_the_servers_lock_table(scoring_pool: Pool) -> None:
    row = await scoring_pool.fetchrow(
        "SELECT current_setting('max_locks_per_transaction')::int, current_setting('max_connections')::int, "
        "current_setting('max_prepared_transactions')::int"
    )
    assert row is not None
    locks, connections, prepared = row
    assert await PgIngestStore(scoring_pool).lock_budget() == locks * (connections + prepared) // 8
