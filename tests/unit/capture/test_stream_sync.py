"""The stream loop against fakes of its ports: cursor-after-ack, bounded resync, throttling, sweep."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.faults import ChainStalled, CursorExpired, Throttled, Unavailable
from services.capture.domain.items import ItemKind, ItemSeen, KnownItem
from services.capture.domain.quarantine import Rejected, RejectReason
from services.capture.operations.sync.stream import sync_stream
from services.capture.operations.sync.tuning import Tuning
from services.capture.ports import Page, PublishFailed, StoredCursor, StreamPlan
from tests.unit.capture.builders import email
from tests.unit.capture.stream_fakes import (
    STREAM,
    FakeConnector,
    FakePublisher,
    FakeStore,
    Observer,
    env,
    seen,
)


async def test_pages_are_followed_and_each_cursor_stored_after_its_records() -> None:
    connector = FakeConnector(
        {
            None: [Page(seen("m1", "m2"), "next-1", complete=False)],
            "next-1": [Page([], "next-2", complete=False)],  # an empty page with a link: keep going
            "next-2": [Page(seen("m3"), "delta-1", complete=True)],
        }
    )
    store, publisher, observer = FakeStore(), FakePublisher(), Observer()
    await sync_stream(env(connector, store, publisher, observer), STREAM, None)
    assert connector.reads == [None, "next-1", "next-2"]
    assert [a.provider_ids.item_id for a in publisher.published] == ["m1", "m2", "m3"]
    cursor = store.cursors["mail:inbox"]
    assert (cursor.value, cursor.complete, cursor.full_round) == ("delta-1", True, False)
    assert store.commits == 3


async def test_nothing_is_stored_when_the_broker_does_not_acknowledge() -> None:
    connector = FakeConnector({"delta-0": [Page(seen("m9"), "delta-1", complete=True)]})
    store = FakeStore(cursors={"mail:inbox": StoredCursor("delta-0", complete=True, full_round=False)})
    attempts: list[int] = []

    async def refuse(activities: Sequence[activity_pb2.Activity]) -> None:
        attempts.append(len(activities))
        raise PublishFailed("the broker did not acknowledge")

    with pytest.raises(Unavailable):
        await sync_stream(
            env(connector, store, FakePublisher(before_publish=refuse), Observer()),
            STREAM,
            store.cursors["mail:inbox"],
        )
    assert store.cursors["mail:inbox"].value == "delta-0", (
        "the cursor moved past records the broker never took"
    )
    assert store.items == {}
    assert attempts == [1, 1, 1], "the page is delivered again on each retry, never skipped"
    assert connector.reads == ["delta-0"], "from memory: its link may be retired once its successor was used"


async def test_an_expired_cursor_resyncs_once_then_gives_up() -> None:
    expired = CursorExpired("410 SyncStateNotFound")
    connector = FakeConnector(
        {"old": [expired], None: [Page(seen("m1"), "next-1", complete=False)], "next-1": [expired]}
    )
    store, observer = FakeStore(), Observer()
    stored = StoredCursor("old", complete=True, full_round=False, generation=3)
    with pytest.raises(CursorExpired):
        await sync_stream(env(connector, store, FakePublisher(), observer), STREAM, stored)
    assert observer.resyncs == 1
    assert connector.reads == ["old", None, "next-1"]
    final = store.cursors["mail:inbox"]
    assert (final.value, final.consecutive_expiries, final.generation) == (None, 2, 5)


async def test_a_resync_that_completes_resets_the_count_and_sweeps_what_it_did_not_see() -> None:
    connector = FakeConnector(
        {"old": [CursorExpired("gone")], None: [Page(seen("m1"), "delta-2", complete=True)]},
        gone={"m-deleted"},
    )
    store, publisher = FakeStore(), FakePublisher()
    for item_id in ("m1", "m-deleted", "m-moved"):
        known = KnownItem(
            item_id, "mail:inbox", ItemKind.EMAIL, email().occurred_at, email().modified_at, "h"
        )
        store.items[item_id] = (known, 1)
    stored = StoredCursor("old", complete=True, full_round=False, generation=1)
    await sync_stream(env(connector, store, publisher, Observer()), STREAM, stored)
    assert sorted(connector.confirmed) == ["m-deleted", "m-moved"]
    deletions = [a.provider_ids.item_id for a in publisher.published if a.is_deletion]
    assert deletions == ["m-deleted"]
    assert set(store.items) == {"m1"}  # the moved one is forgotten without a retraction
    assert store.cursors["mail:inbox"].consecutive_expiries == 0


async def test_retry_after_pauses_the_mailbox_for_at_least_that_long() -> None:
    connector = FakeConnector(
        {None: [Throttled("429", retry_after_sec=0.3), Page(seen("m1"), "delta", complete=True)]}
    )
    observer = Observer()
    started = time.monotonic()
    await sync_stream(env(connector, FakeStore(), FakePublisher(), observer), STREAM, None)
    assert time.monotonic() - started >= 0.3
    assert observer.throttles == [0.3]


async def test_a_new_scope_restarts_the_chain_deliberately() -> None:
    calendar = StreamPlan("calendar", scope="2026-11-02/2027-03-01")
    connector = FakeConnector({None: [Page([], "delta-new", complete=True)]})
    store = FakeStore()
    stored = StoredCursor(
        "delta-old", scope="2026-10-26/2027-02-22", complete=True, full_round=False, generation=4
    )
    await sync_stream(env(connector, store, FakePublisher(), Observer()), calendar, stored)
    assert connector.reads == [None]
    assert store.cursors["calendar"].generation == 5
    assert store.cursors["calendar"].scope == calendar.scope


async def test_a_quarantined_item_is_recorded_and_the_cursor_moves_past_it() -> None:
    poison = Rejected("m2", RejectReason.BAD_DATE)
    absurd = ItemSeen(dataclasses.replace(email("m3"), occurred_at=datetime(1601, 1, 1, tzinfo=UTC)))
    connector = FakeConnector(
        {
            None: [Page([*seen("m1"), absurd], "next-1", complete=False, rejected=[poison])],
            "next-1": [Page(seen("m4"), "delta-1", complete=True)],
        }
    )
    store, publisher = FakeStore(), FakePublisher()
    await sync_stream(env(connector, store, publisher, Observer()), STREAM, None)
    assert [a.provider_ids.item_id for a in publisher.published] == ["m1", "m4"]
    expected = [poison, Rejected("m3", RejectReason.ABSURD_DATE)]
    assert publisher.quarantined == expected, "every quarantined item goes to the dead-letter topic"
    assert store.rejected == expected, "and is counted with the cursor that skips it"
    assert store.cursors["mail:inbox"].value == "delta-1"
    assert "m3" not in store.items, "a quarantined item is not remembered as published"


async def test_quarantined_items_not_acknowledged_keep_the_cursor() -> None:
    connector = FakeConnector(
        {
            "delta-0": [
                Page([], "delta-1", complete=True, rejected=[Rejected("x", RejectReason.MISSING_SENDER)])
            ]
        }
    )
    store = FakeStore(cursors={"mail:inbox": StoredCursor("delta-0", complete=True, full_round=False)})
    with pytest.raises(Unavailable):
        await sync_stream(
            env(connector, store, FakePublisher(fail=True), Observer()), STREAM, store.cursors["mail:inbox"]
        )
    assert store.cursors["mail:inbox"].value == "delta-0", "a skip that was never recorded is not a skip"


async def test_a_chain_of_endless_empty_pages_is_cut_not_followed() -> None:
    endless = {None: [Page([], "next", complete=False)], "next": [Page([], "next", complete=False)]}
    connector = FakeConnector(endless)  # type: ignore[arg-type]
    store = FakeStore()
    pass_env = dataclasses.replace(
        env(connector, store, FakePublisher(), Observer()), tuning=Tuning(max_empty_pages=5)
    )
    with pytest.raises(ChainStalled, match="6 empty pages in a row"):
        await sync_stream(pass_env, STREAM, None)
    assert len(connector.reads) == 6, "the chain is cut after the budget, not followed further"
    assert store.cursors["mail:inbox"].value == "next", "the next pass resumes where the chain stopped"


async def test_a_pass_reading_more_pages_than_its_budget_is_cut() -> None:
    busy = {None: [Page(seen("m1"), "a", complete=False)], "a": [Page(seen("m1"), "a", complete=False)]}
    connector = FakeConnector(busy)  # type: ignore[arg-type]
    pass_env = dataclasses.replace(
        env(connector, FakeStore(), FakePublisher(), Observer()), tuning=Tuning(max_pages_per_pass=10)
    )
    with pytest.raises(ChainStalled, match="more than 10 pages"):
        await sync_stream(pass_env, STREAM, None)
    assert len(connector.reads) == 11
