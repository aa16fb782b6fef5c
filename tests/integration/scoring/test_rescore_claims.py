"""Two scoring processes' rescore loops on one database: each due tenant is rescored by one of them,
a tenant another process is rescoring is skipped, and when that process dies its tenant is rescored
by the other at its next pass."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from plumbing.db.pool import Pool, connect_alone, create_pool
from services.scoring.adapters.pg_ingest_store import PgIngestStore
from services.scoring.adapters.pg_rescore_claims import PgRescoreClaims
from services.scoring.app import SCHEMA
from services.scoring.domain.instants import datetime_to_us
from services.scoring.operations.ingest import IngestService
from services.scoring.operations.rescore import RescoreOutcome, RescoreService
from services.scoring.wiring import build_rescore
from tests.integration.conftest import Isolated
from tests.integration.scoring.conftest import empty_scoring_tables
from tests.unit.scoring.world import NOW, decoded_history

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def _process(
    isolated: Isolated, name: str, today: list[datetime]
) -> AsyncIterator[tuple[RescoreService, PgRescoreClaims]]:
    """One scoring process's rescoring: its own pool and its own claims connection."""
    pool = await create_pool(isolated.database_url, schema=SCHEMA, max_size=4)
    claims = PgRescoreClaims(lambda: connect_alone(isolated.database_url, schema=SCHEMA, purpose=name))
    try:
        yield build_rescore(pool, now=lambda: today[0], claims=claims), claims
    finally:
        await claims.close()
        await pool.close()


def _tenants(*outcomes: list[RescoreOutcome]) -> list[tuple[str, bool]]:
    return sorted((o.tenant_id, o.full) for passed in outcomes for o in passed)


async def test_each_due_tenant_is_rescored_by_one_process_and_a_dead_ones_tenant_by_the_other(
    scoring_pool: Pool, isolated: Isolated
) -> None:
    await empty_scoring_tables(scoring_pool)
    await IngestService(PgIngestStore(scoring_pool), now_us=lambda: datetime_to_us(NOW)).apply(
        decoded_history()
    )
    today = [NOW]
    async with (
        _process(isolated, "rescore-a", today) as (a, a_claims),
        _process(isolated, "rescore-b", today) as (b, _),
    ):
        # Both passes at once, over the same two due tenants: each tenant once, by either.
        first_a, first_b = await asyncio.gather(a.run_due(), b.run_due())
        assert _tenants(first_a, first_b) == [("t1", True), ("t2", True)]
        assert await a.run_due() == [] and await b.run_due() == []  # nothing left for anyone

        # The next day both tenants are due again; process a is in the middle of rescoring t1.
        today[0] = NOW + timedelta(days=1)
        async with a_claims.claim("t1") as claimed:
            assert claimed
            assert _tenants(await b.run_due()) == [("t2", True)]  # t1 is a's: b skips it
            # Process a dies: its connection goes, and its claim with it.
            terminated = await scoring_pool.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'groundtruth-rescore-a'"
            )
            assert terminated == 1
            assert _tenants(await b.run_due()) == [("t1", True)]  # b's next pass takes t1 over
        assert await a.run_due() == []  # a again (new connection): nothing is due any more
