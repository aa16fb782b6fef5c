"""The PostgreSQL store and the in-memory reference end in the same state for the same deliveries."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings

from plumbing.db.pool import Pool
from services.scoring.adapters.pg_ingest_store import PgIngestStore
from services.scoring.domain.instants import datetime_to_us
from services.scoring.operations.ingest import Decoded, IngestService
from tests.integration.scoring.conftest import empty_scoring_tables
from tests.integration.scoring.pg_state import comparable_state, feed_positions
from tests.unit.scoring.memory_store import MemoryState
from tests.unit.scoring.test_ingest_fold import HISTORY, deliver_in_memory, deliveries
from tests.unit.scoring.world import NOW

pytestmark = pytest.mark.integration


async def one_by_one(events: list[Decoded]) -> MemoryState:
    return await deliver_in_memory([[e] for e in events])


async def deliver_to_postgres(pool: Pool, batches: list[list[Decoded]]) -> None:
    await empty_scoring_tables(pool)
    service = IngestService(PgIngestStore(pool), now_us=lambda: datetime_to_us(NOW))
    for batch in batches:
        await service.apply(batch)


async def test_the_whole_history_one_by_one_gives_the_reference_state(scoring_pool: Pool) -> None:
    await deliver_to_postgres(scoring_pool, [[e] for e in HISTORY])
    assert await comparable_state(scoring_pool) == (await one_by_one(HISTORY)).comparable(with_feed=False)
    positions = await feed_positions(scoring_pool)
    for tenant_positions in positions.values():
        assert len(tenant_positions) == len(set(tenant_positions))


async def test_the_whole_history_reversed_one_by_one_gives_the_reference_state(scoring_pool: Pool) -> None:
    # Every older version then arrives alone, after the newer one: nothing it carries may be lost.
    await deliver_to_postgres(scoring_pool, [[e] for e in reversed(HISTORY)])
    assert await comparable_state(scoring_pool) == (await one_by_one(HISTORY)).comparable(with_feed=False)


async def test_concurrent_batches_of_one_tenant_never_interleave_feed_positions(scoring_pool: Pool) -> None:
    await deliver_to_postgres(scoring_pool, [])
    service = IngestService(PgIngestStore(scoring_pool), now_us=lambda: datetime_to_us(NOW))
    halves = [HISTORY[: len(HISTORY) // 2], HISTORY[len(HISTORY) // 2 :]]
    # Two transactions at once: the tenant lock makes one wait, so positions follow commit order.
    await asyncio.gather(*(service.apply(half) for half in halves))
    await asyncio.gather(*(service.apply(half) for half in reversed(halves)))
    state = await comparable_state(scoring_pool)
    assert state == (await one_by_one(HISTORY)).comparable(with_feed=False)
    last = await scoring_pool.fetch("SELECT tenant_id, last_sequence FROM feed_positions ORDER BY 1")
    positions = await feed_positions(scoring_pool)
    for row in last:
        taken = positions[row["tenant_id"]]
        assert max(taken) <= row["last_sequence"]
        # Interleaved transactions would hand one position to two activities.
        assert len(set(taken)) == len(taken), "a feed position was given twice"


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=deliveries())
async def test_any_delivery_to_postgres_ends_in_the_in_order_state(
    scoring_pool: Pool, case: tuple[list[Decoded], list[list[Decoded]]]
) -> None:
    in_order, batches = case
    await deliver_to_postgres(scoring_pool, batches)
    assert await comparable_state(scoring_pool) == (await one_by_one(in_order)).comparable(with_feed=False)
