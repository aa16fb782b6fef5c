"""The relays publish before they record progress; erasure reports whether its tombstone went out."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

import pytest

from services.scoring.operations.admin import ScoringAdmin
from services.scoring.operations.relay import Relays
from services.scoring.operations.rescore import RescoreService
from services.scoring.operations.settings import SettingsCache, SettingsReader
from services.scoring.operations.tenant_views import TenantViews
from services.scoring.ports import QueuedTombstone, UnpublishedScore
from tests.unit.scoring.fakes import (
    FakeBroker,
    FakeConfigs,
    FakeErasure,
    FakeOutbox,
    FakeScoreStore,
    FakeTenantFacts,
    FeedEntry,
)

QUEUED = datetime(2026, 1, 1)


def _outbox() -> FakeOutbox:
    return FakeOutbox(
        tombstones=[QueuedTombstone("t1", "gone", QUEUED)],
        scores=[UnpublishedScore("t1", "r1", b"score", b"hash")],
        feeds={
            "t1": [FeedEntry("t1", "r1", b"m1", 1), FeedEntry("t1", "r2", b"m2", 2)],
            "t2": [FeedEntry("t2", "r9", b"m9", 7)],
        },
    )


async def test_one_pass_publishes_every_kind_then_records_progress() -> None:
    outbox, broker = _outbox(), FakeBroker()
    relays = Relays(outbox, broker, batch_size=10, interval_sec=1.0)
    assert await relays.publish_once() == 5
    assert broker.records == [
        ("scores", "t1", "gone", None),
        ("scores", "t1", "r1", b"score"),
        ("matched", "t1", "r1", b"m1"),
        ("matched", "t1", "r2", b"m2"),
        ("matched", "t2", "r9", b"m9"),
    ]
    assert (outbox.tombstones, outbox.scores, outbox.published_through) == ([], [], {"t1": 2, "t2": 7})
    assert await relays.publish_once() == 0


async def test_nothing_is_marked_published_when_the_broker_fails() -> None:
    outbox, broker = _outbox(), FakeBroker(failure=ConnectionError("broker away"))
    relays = Relays(outbox, broker, batch_size=10, interval_sec=1.0)
    with pytest.raises(ConnectionError):
        await relays.publish_once()
    assert outbox == _outbox()
    assert outbox.stepped_down == 1  # the lease is given up: another process may publish meanwhile


class _Recorded:
    def __init__(self) -> None:
        self.lags: list[int] = []
        self.leading: list[bool] = []

    def relayed(self, topic: str, records: int) -> None:
        pass

    def rescored(self, kind: str, reps: int, seconds: float) -> None:
        pass

    def relay_lag(self, topic: str, positions: int) -> None:
        self.lags.append(positions)

    def relay_leader(self, leading: bool) -> None:
        self.leading.append(leading)


async def test_a_process_without_the_lease_publishes_nothing() -> None:
    outbox, broker, metrics = _outbox(), FakeBroker(), _Recorded()
    outbox.leading = False
    assert await Relays(outbox, broker, batch_size=10, interval_sec=1.0, metrics=metrics).publish_once() == 0
    assert (broker.records, metrics.leading, metrics.lags) == ([], [False], [])
    assert dataclasses.replace(outbox, leading=True) == _outbox()


async def test_the_publisher_reports_the_feed_positions_still_behind_after_each_pass() -> None:
    outbox, broker, metrics = _outbox(), FakeBroker(), _Recorded()
    relays = Relays(outbox, broker, batch_size=1, interval_sec=1.0, metrics=metrics)
    await relays.publish_once()  # t1: 1 of 2 out; t2: its one position (7) out
    await relays.publish_once()
    await relays.publish_once()
    assert metrics.lags == [1, 0, 0]


async def test_the_loop_pages_through_a_backlog_while_ingest_keeps_committing() -> None:
    outbox, broker, metrics = _outbox(), FakeBroker(), _Recorded()
    relays = Relays(outbox, broker, batch_size=1, interval_sec=3600.0, metrics=metrics)
    stop = asyncio.Event()
    running = asyncio.ensure_future(relays.run(stop))
    while not metrics.lags or metrics.lags[-1] > 0 or outbox.scores or outbox.tombstones:
        relays.nudge()  # a commit after every page: it never makes the relay pause
        await asyncio.sleep(0)
    stop.set()
    await running
    assert outbox.published_through == {"t1": 2, "t2": 7}


async def test_a_feed_page_is_at_most_the_batch_size() -> None:
    outbox, broker = _outbox(), FakeBroker()
    await Relays(outbox, broker, batch_size=1, interval_sec=1.0).publish_once()
    assert outbox.published_through == {"t1": 1, "t2": 7}
    assert len(outbox.tombstones) == 0 and len(outbox.scores) == 0


def _admin(broker: FakeBroker) -> tuple[ScoringAdmin, FakeErasure]:
    outbox = FakeOutbox()
    erasure = FakeErasure(outbox)
    relays = Relays(outbox, broker, batch_size=10, interval_sec=1.0)
    facts = FakeTenantFacts()
    rescore = RescoreService(
        FakeScoreStore(),
        TenantViews(facts, facts),
        SettingsReader(FakeConfigs(), SettingsCache()),
        now=lambda: QUEUED,
    )
    return ScoringAdmin(erasure, relays, rescore, tombstone_wait_sec=1.0), erasure


@pytest.mark.parametrize(
    ("failure", "published"),
    [
        pytest.param(None, True, id="broker answers: tombstone published"),
        pytest.param(ConnectionError("away"), False, id="broker away: tombstone stays queued"),
    ],
)
async def test_erasure_says_whether_the_tombstone_went_out(
    failure: Exception | None, published: bool
) -> None:
    broker = FakeBroker(failure=failure)
    admin, erasure = _admin(broker)
    outcome = await admin.erase_rep("t1", "r1")
    assert erasure.erased == [("t1", "r1")]
    assert outcome.counts.activities == 3
    assert outcome.tombstone_published is published
    assert await erasure.tombstone_queued("t1", "r1") is not published
