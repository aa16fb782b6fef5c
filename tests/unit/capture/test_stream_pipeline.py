"""A chain's pipeline against fakes of its ports: the next page is read while the current one is
delivered, never more than `pipeline_depth` pages in flight, commits in page order, a cut chain never
read past the cut, a failed delivery discards the page read ahead and resumes from the last commit,
and a page read ahead sees what the pages before it will store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.faults import ChainStalled
from services.capture.domain.items import Change, ItemGone, ItemKind, ItemSeen, KnownItem
from services.capture.operations.sync.stream import sync_stream
from services.capture.operations.sync.tuning import Tuning
from services.capture.ports import Page, PublishFailed
from tests.unit.capture.builders import email
from tests.unit.capture.stream_fakes import (
    STREAM,
    FakeConnector,
    FakePublisher,
    FakeStore,
    Observer,
    Step,
    env,
    seen,
)


def _chain(pages: Sequence[Sequence[Change]]) -> dict[str | None, list[Step]]:
    """Pages linked None → n1 → n2 ...; the last one ends the round with "delta"."""
    script: dict[str | None, list[Step]] = {}
    for i, changes in enumerate(pages):
        last = i == len(pages) - 1
        script[f"n{i}" if i else None] = [Page(changes, "delta" if last else f"n{i + 1}", complete=last)]
    return script


def _depth(depth: int, *, max_empty_pages: int = 20, max_pages_per_pass: int = 20_000) -> Tuning:
    return Tuning(
        transient_retries=2,
        pipeline_depth=depth,
        max_empty_pages=max_empty_pages,
        max_pages_per_pass=max_pages_per_pass,
    )


def _ahead_at_each_read(events: list[str]) -> list[int]:
    """For each read: how many pages were read and not yet committed when it started."""
    out, reads, commits = [], 0, 0
    for event in events:
        if event.startswith("read"):
            out.append(reads - commits)
            reads += 1
        else:
            commits += 1
    return out


@pytest.mark.parametrize("depth", [1, 2, 3], ids=["depth 1 (one page at a time)", "depth 2", "depth 3"])
async def test_pages_are_read_ahead_within_the_bound_and_committed_in_order(depth: int) -> None:
    events: list[str] = []
    connector = FakeConnector(_chain([seen(f"m{i}") for i in range(8)]), events=events)
    store, publisher, observer = FakeStore(events=events), FakePublisher(), Observer()
    await sync_stream(env(connector, store, publisher, observer, _depth(depth)), STREAM, None)
    assert store.committed == [*(f"n{i}" for i in range(1, 8)), "delta"], "commits in page order"
    assert [a.provider_ids.item_id for a in publisher.published] == [f"m{i}" for i in range(8)]
    ahead = _ahead_at_each_read(events)
    assert max(ahead) == depth - 1, ahead  # never more than the bound, and the bound is used
    assert observer.peak_in_flight == depth
    if depth > 1:
        assert events.index("read n1") < events.index("commit n1"), "page 2 read while page 1 was delivered"


async def test_while_a_commit_is_held_the_chain_reads_no_further_than_the_bound() -> None:
    held, pages = asyncio.Event(), 6
    connector = FakeConnector(_chain([seen(f"m{i}") for i in range(pages)]))

    async def hold(activities: Sequence[activity_pb2.Activity]) -> None:
        if activities[0].provider_ids.item_id == "m0":
            await held.wait()

    publisher = FakePublisher(before_publish=hold)
    store = FakeStore()
    task = asyncio.create_task(
        sync_stream(env(connector, store, publisher, Observer(), _depth(3)), STREAM, None)
    )
    for _ in range(200):  # let every other task run as far as it can while page 1 is held
        await asyncio.sleep(0)
    assert connector.reads == [None, "n1", "n2"], "three pages in flight, and no more, while page 1 is held"
    assert store.committed == []
    held.set()
    await task
    assert store.committed == [*(f"n{i}" for i in range(1, pages)), "delta"]


@pytest.mark.parametrize("depth", [1, 2, 4])
async def test_a_chain_of_empty_pages_is_cut_and_the_link_at_the_cut_is_never_read(depth: int) -> None:
    # Every page has its own link, so a read past the cut would show as a read of "n6".
    script: dict[str | None, list[Step]] = {None: [Page([], "n1", complete=False)]}
    script |= {f"n{i}": [Page([], f"n{i + 1}", complete=False)] for i in range(1, 50)}
    connector = FakeConnector(script)
    store = FakeStore()
    pass_env = env(connector, store, FakePublisher(), Observer(), _depth(depth, max_empty_pages=5))
    with pytest.raises(ChainStalled, match="6 empty pages in a row"):
        await sync_stream(pass_env, STREAM, None)
    assert connector.reads == [None, "n1", "n2", "n3", "n4", "n5"], "not one read past the cut"
    assert store.committed == ["n1", "n2", "n3", "n4", "n5"], "the pages before the cut are committed"
    assert store.cursors["mail:inbox"].value == "n5", "the next pass resumes at the page that was cut"


@pytest.mark.parametrize("depth", [1, 3])
async def test_a_page_budget_cuts_the_chain_before_its_next_read(depth: int) -> None:
    connector = FakeConnector(_chain([seen(f"m{i}") for i in range(30)]))
    store = FakeStore()
    pass_env = env(connector, store, FakePublisher(), Observer(), _depth(depth, max_pages_per_pass=10))
    with pytest.raises(ChainStalled, match="more than 10 pages"):
        await sync_stream(pass_env, STREAM, None)
    assert len(connector.reads) == 11 and "n11" not in connector.reads
    assert store.committed == [f"n{i}" for i in range(1, 11)]


async def test_a_failed_delivery_discards_the_page_read_ahead_and_delivers_the_failed_page_again() -> None:
    page_3_read, failures = asyncio.Event(), [1]

    async def on_read(cursor: str | None) -> None:
        if cursor == "n2":
            page_3_read.set()

    async def fail_page_2_once(activities: Sequence[activity_pb2.Activity]) -> None:
        if activities[0].provider_ids.item_id == "m1" and failures:
            await page_3_read.wait()  # page 3 is read ahead before page 2's delivery fails
            failures.pop()
            raise PublishFailed("the broker did not acknowledge")

    connector = FakeConnector(_chain([seen("m0"), seen("m1"), seen("m2")]), on_read=on_read)
    store, publisher = FakeStore(), FakePublisher(before_publish=fail_page_2_once)
    await sync_stream(env(connector, store, publisher, Observer(), _depth(2)), STREAM, None)
    # Page 2 is delivered again from memory (its link "n1" may be retired now that "n2" was used); the
    # page read ahead is discarded and read again from the cursor that follows page 2.
    assert connector.reads == [None, "n1", "n2", "n2"]
    assert store.committed == ["n1", "n2", "delta"], "the page read ahead was never committed early"
    assert [a.provider_ids.item_id for a in publisher.published] == ["m0", "m1", "m2"], "none lost or doubled"


async def test_a_page_read_ahead_sees_what_the_page_before_it_will_store() -> None:
    changed = ItemSeen(email("m1", cc=("cfo@customer.example",)))
    pages: list[list[Change]] = [
        seen("m1", "m2"),
        [*seen("m1"), ItemGone(ItemKind.EMAIL, "m2")],  # m1 unchanged, m2 deleted
        [changed],
    ]
    store, publisher = FakeStore(), FakePublisher()
    await sync_stream(
        env(FakeConnector(_chain(pages)), store, publisher, Observer(), _depth(3)), STREAM, None
    )
    published = [(a.provider_ids.item_id, a.is_deletion) for a in publisher.published]
    # Page 2 is planned before page 1 is committed: it must not publish m1 again, and must retract m2.
    assert published == [("m1", False), ("m2", False), ("m2", True), ("m1", False)]
    assert set(store.items) == {"m1"}


async def test_the_sweep_at_the_end_of_a_round_waits_for_the_pages_before_it() -> None:
    old = KnownItem("m-old", "mail:inbox", ItemKind.EMAIL, email().occurred_at, email().modified_at, "h")
    store = FakeStore(items={"m-old": (old, 0)})
    connector = FakeConnector(_chain([seen("m0"), seen("m1"), seen("m2")]), gone={"m-old"})
    publisher = FakePublisher()
    await sync_stream(env(connector, store, publisher, Observer(), _depth(3)), STREAM, None)
    assert connector.confirmed == ["m-old"], "items of this round's earlier pages are not unseen"
    assert [a.provider_ids.item_id for a in publisher.published if a.is_deletion] == ["m-old"]


# --- property: any depth and any failed deliveries publish what one page at a time publishes ------

_OPS = st.lists(
    st.tuples(st.sampled_from(["seen", "gone"]), st.integers(0, 5), st.integers(0, 2)), max_size=4
)


def _changes(ops: list[tuple[str, int, int]]) -> list[Change]:
    out: list[Change] = []
    for op, item, version in ops:
        item_id = f"m{item}"
        if op == "gone":
            out.append(ItemGone(ItemKind.EMAIL, item_id))
        else:
            out.append(ItemSeen(email(item_id, cc=(f"v{version}@customer.example",))))
    return out


async def _run(
    pages: list[list[Change]], depth: int, fail_calls: frozenset[int]
) -> tuple[list[tuple[str, bool, tuple[str, ...]]], FakeStore]:
    calls = [0]

    async def maybe_fail(activities: Sequence[activity_pb2.Activity]) -> None:
        calls[0] += 1
        await asyncio.sleep(0)  # let the reader run ahead while this page is being published
        if calls[0] in fail_calls:
            raise PublishFailed("the broker did not acknowledge")

    store, publisher = FakeStore(), FakePublisher(before_publish=maybe_fail)
    tuning = Tuning(transient_retries=len(fail_calls) + 1, pipeline_depth=depth)
    await sync_stream(env(FakeConnector(_chain(pages)), store, publisher, Observer(), tuning), STREAM, None)
    published = [
        (a.provider_ids.item_id, a.is_deletion, tuple(p.address for p in a.participants))
        for a in publisher.published
    ]
    return published, store


@settings(max_examples=60, deadline=None)
@given(
    pages=st.lists(_OPS, min_size=1, max_size=7),
    depth=st.integers(1, 4),
    fail_calls=st.frozensets(st.integers(1, 10), max_size=3),
)
def test_any_depth_and_failed_deliveries_publish_and_store_what_one_page_at_a_time_does(
    pages: list[list[tuple[str, int, int]]], depth: int, fail_calls: frozenset[int]
) -> None:
    chain = [_changes(p) for p in pages]
    expected, reference = asyncio.run(_run(chain, 1, frozenset()))
    published, store = asyncio.run(_run(chain, depth, fail_calls))
    assert published == expected
    assert store.committed == reference.committed, "every page committed once, in page order"
    assert {i: k.content_hash for i, (k, _) in store.items.items()} == {
        i: k.content_hash for i, (k, _) in reference.items.items()
    }
    assert store.cursors == reference.cursors
