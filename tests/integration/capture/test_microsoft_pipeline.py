"""Large mailboxes against the Microsoft emulator through the real msal and aiohttp, the real broker and
the real PostgreSQL: a chain's next page is read while the current one is published and committed
(at most `pipeline_depth` pages in flight), a large mailbox is captured completely with every page
asked for once, a small mailbox beside it still finishes first, and a commit that fails mid-pipeline
loses nothing."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from tests.conftest import eventually
from tests.integration.capture.harness import expected_ids
from tests.integration.capture.rig import CUSTOMER, SEEDED, Rig, holds, running_rig
from tests.integration.conftest import Isolated

pytestmark = pytest.mark.integration
PAGE = 20
DEPTH = 2
LARGE = 3_000


@pytest.fixture(scope="module")
async def rig(isolated: Isolated, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    # Two backfill lanes: a large mailbox's pipelined chain could hold every one of them.
    overrides = {"microsoft_page_size": PAGE, "pipeline_depth": DEPTH, "backfill_concurrency": 2}
    async with running_rig(isolated, tmp_path_factory, **overrides) as running:
        await running.idle(*SEEDED)
        yield running


def _fill(rig: Rig, mailbox: str, count: int) -> None:
    sent = datetime.now(UTC) - timedelta(days=2)
    for i in range(count):
        rig.emulator.add_message(mailbox, sender=CUSTOMER, to=[mailbox], sent_at=sent + timedelta(seconds=i))


def _inbox_pages_asked(rig: Rig, mailbox: str) -> int:
    return sum(1 for r in rig.emulator.requests(mailbox) if r.operation == "delta:inbox" and r.status == 200)


async def _first_pass_pages(rig: Rig, mailbox: str) -> int:
    """Inbox pages asked for by the mailbox's first pass: the later passes (after its subscriptions
    were made) each ask for one incremental page. Read while no pass runs."""
    found: list[int] = []

    async def between_passes() -> bool:
        worker = rig.worker(mailbox)
        if worker.status.state.value != "idle":
            return False
        found[:] = [_inbox_pages_asked(rig, mailbox) - (worker.passes - 1)]
        return True

    await eventually(between_passes, timeout_sec=30)
    return found[0]


async def _all_arrived(rig: Rig, mailbox: str, expected: set[str]) -> None:
    async def arrived() -> bool:
        return rig.tail.live_ids(mailbox) == expected

    await eventually(arrived, timeout_sec=180)


async def test_a_large_mailbox_is_captured_completely_and_a_small_one_beside_it_finishes_first(
    rig: Rig,
) -> None:
    large, small = rig.new_mailbox("large"), rig.new_mailbox("small")
    _fill(rig, large, LARGE)
    _fill(rig, small, 6)
    await rig.add(large)
    await eventually(lambda: holds(_inbox_pages_asked(rig, large) >= 5), timeout_sec=60)
    await rig.add(small)
    await rig.idle(small)
    assert rig.worker(large).passes == 0, "the large mailbox's first pass was over before the small one's"
    assert _inbox_pages_asked(rig, large) < math.ceil(LARGE / PAGE)

    expected = expected_ids(rig.emulator, large, rig.window)
    assert len(expected) == LARGE
    await _all_arrived(rig, large, expected)
    await rig.idle(large)
    published = [a.id for a in rig.tail.for_mailbox(large)]
    assert len(published) == len(set(published)) == LARGE, "an item was lost or published twice"
    # Each page asked for once (the chain never restarted or re-read a page), none past the end.
    assert await _first_pass_pages(rig, large) == math.ceil(LARGE / PAGE)
    assert rig.worker(large).peak_pages_in_flight["mail:inbox"] == DEPTH, "pages were not read ahead"
    status = await rig.status(large)
    assert status.items_captured == LARGE


async def test_the_next_page_is_read_while_a_commit_is_held_and_a_failed_commit_loses_nothing(
    rig: Rig, isolated: Isolated
) -> None:
    mailbox = rig.new_mailbox("held")
    await rig.add(mailbox)
    await rig.idle(mailbox)  # caught up and empty: each stream has its cursor row
    asked_before, passes_before = _inbox_pages_asked(rig, mailbox), rig.worker(mailbox).passes
    admin = await asyncpg.connect(isolated.database_url)
    try:
        held = admin.transaction()
        await held.start()
        # The inbox chain's commits wait for this transaction; its reads (and the other streams) go on.
        await admin.execute(
            "SELECT 1 FROM capture.cursors JOIN capture.mailboxes USING (mailbox_id) "
            "WHERE address = $1 AND stream = 'mail:inbox' FOR UPDATE OF cursors",
            mailbox,
        )
        _fill(rig, mailbox, 5 * PAGE)  # five pages of changes for the next round
        await rig.trigger(mailbox)

        async def commit_waiting() -> bool:
            waiting = await admin.fetchval(_WAITING.format("count(*)"))
            return bool(waiting) and _inbox_pages_asked(rig, mailbox) - asked_before >= DEPTH

        await eventually(commit_waiting, timeout_sec=30)
        # Page 2 was asked for while page 1's commit could not happen: read ahead, and no further.
        assert _inbox_pages_asked(rig, mailbox) - asked_before == DEPTH
        # Now the held commits fail (their connections are cut), as when the database restarts.
        await admin.execute(_WAITING.format("pg_terminate_backend(pid)"))
        await held.rollback()
    finally:
        await admin.close()
    expected = expected_ids(rig.emulator, mailbox, rig.window)
    assert len(expected) == 5 * PAGE
    await _all_arrived(rig, mailbox, expected)
    # The failed page was delivered again from memory, the page read ahead discarded and read again:
    # one page more than the round has, never a restart from scratch.
    found: list[int] = []

    async def between_passes() -> bool:
        worker = rig.worker(mailbox)
        if worker.status.state.value != "idle":
            return False
        later_passes = worker.passes - passes_before - 1  # woken again by notifications: one page each
        found[:] = [_inbox_pages_asked(rig, mailbox) - asked_before - later_passes]
        return True

    await eventually(between_passes, timeout_sec=30)
    assert found[0] == 5 + 1
    status = await rig.status(mailbox)
    assert status.resyncs == 0
    published = [a.id for a in rig.tail.for_mailbox(mailbox)]
    assert set(published) == expected
    assert len(published) - len(set(published)) <= PAGE, "more than the failed page was published twice"


# capture's sessions waiting for a lock (the test's own excluded)
_WAITING = (
    "SELECT {} FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND datname = current_database() AND pid <> pg_backend_pid()"
)
