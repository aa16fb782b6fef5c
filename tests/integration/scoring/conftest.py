"""Fixtures for scoring's integration tests: a migrated database per module, emptied per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from plumbing.db.migrations import migrate
from plumbing.db.pool import Pool, create_pool
from services.scoring.app import MIGRATIONS, SCHEMA
from tests.integration.conftest import Isolated


@pytest.fixture(scope="module")
async def scoring_pool(isolated: Isolated) -> AsyncIterator[Pool]:
    await migrate(isolated.database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(isolated.database_url, schema=SCHEMA, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


async def empty_scoring_tables(pool: Pool) -> None:
    """Remove every row scoring stores (not the migrations' bookkeeping)."""
    tables = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'", SCHEMA
    )
    names = ", ".join(f'{SCHEMA}."{t["tablename"]}"' for t in tables)
    await pool.execute(f"TRUNCATE {names}")
