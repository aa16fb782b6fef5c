"""A page's commit (`PostgresSyncStore.commit_page`) is one statement on the real PostgreSQL: item
state remembered and forgotten, the captured counter and the cursor move together, and an item both
remembered and forgotten in one page ends forgotten, as when the writes ran one after another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from plumbing.db.migrations import migrate
from plumbing.db.pool import Pool, create_pool
from services.capture.adapters.postgres.sync_store import PostgresSyncStore
from services.capture.adapters.secret_box import SecretBox
from services.capture.app import MIGRATIONS, SCHEMA
from services.capture.domain.items import Direction, ItemKind, KnownItem
from services.capture.ports import StoredCursor
from tests.integration.conftest import Isolated

WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
async def pool(isolated: Isolated) -> AsyncIterator[Pool]:
    await migrate(isolated.database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(isolated.database_url, schema=SCHEMA, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


async def _mailbox(pool: Pool, address: str) -> int:
    await pool.execute(
        "INSERT INTO connections (connection_id, tenant_id, provider, credential) VALUES ($1, 't', 1, $2) "
        "ON CONFLICT DO NOTHING",
        "conn",
        b"sealed",
    )
    mailbox_id: int = await pool.fetchval(
        "INSERT INTO mailboxes (tenant_id, connection_id, address, rep_id) VALUES ('t', 'conn', $1, 'r') "
        "RETURNING mailbox_id",
        address,
    )
    return mailbox_id


def _item(item_id: str, digest: str = "h1") -> KnownItem:
    return KnownItem(
        item_id=item_id,
        stream="inbox",
        kind=ItemKind.EMAIL,
        occurred_at=WHEN,
        modified_at=WHEN,
        content_hash=digest,
        direction=Direction.RECEIVED,
    )


async def _captured(pool: Pool, mailbox_id: int) -> int | None:
    value: int | None = await pool.fetchval(
        "SELECT items_captured FROM sync_status WHERE mailbox_id = $1", mailbox_id
    )
    return value


async def test_a_page_commits_items_counter_and_cursor_together(pool: Pool) -> None:
    store = PostgresSyncStore(pool, SecretBox(None))
    mailbox = await _mailbox(pool, "a@contoso.example")
    first = StoredCursor(value="page-2", scope="s", complete=False, full_round=True, generation=1)
    await store.commit_page(
        mailbox, "inbox", first, remember=[_item("a"), _item("b")], forget=[], published=2
    )
    assert set(await store.known_items(mailbox, ["a", "b", "c"])) == {"a", "b"}
    assert (await store.cursors(mailbox))["inbox"] == first
    assert await _captured(pool, mailbox) == 2

    # "b" changed then disappeared within the page: remembered and forgotten at once ends forgotten.
    done = StoredCursor(value="delta", scope="s", complete=True, full_round=False, generation=1)
    await store.commit_page(
        mailbox, "inbox", done, remember=[_item("b", "h2"), _item("c")], forget=["a", "b"], published=1
    )
    assert set(await store.known_items(mailbox, ["a", "b", "c"])) == {"c"}
    assert (await store.cursors(mailbox))["inbox"] == done
    assert await _captured(pool, mailbox) == 3


async def test_an_empty_page_moves_only_the_cursor(pool: Pool) -> None:
    store = PostgresSyncStore(pool, SecretBox(None))
    mailbox = await _mailbox(pool, "b@contoso.example")
    cursor = StoredCursor(value="delta", scope="s", complete=True, full_round=False, generation=3)
    await store.commit_page(mailbox, "sentitems", cursor, remember=[], forget=[], published=0)
    assert (await store.cursors(mailbox)) == {"sentitems": cursor}
    assert await _captured(pool, mailbox) is None  # no status row made for nothing captured
