"""Two scoring processes' relays on one database: only the lease holder publishes, on a connection
of its own, so every feed position reaches the topic once; when it stops, the other takes over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Pool, connect_alone
from plumbing.kafka.producer import create_producer
from services.scoring.adapters.kafka_relay import KafkaRelayPublisher
from services.scoring.adapters.pg_feed import feed_rows, matched_activity
from services.scoring.adapters.pg_ingest_store import PgIngestStore
from services.scoring.adapters.pg_relay import PgRelayStore
from services.scoring.app import SCHEMA
from services.scoring.domain.instants import datetime_to_us
from services.scoring.operations.ingest import IngestService
from services.scoring.operations.relay import Relays
from services.scoring.ports.metrics import NoMetrics
from tests.integration.conftest import Isolated
from tests.integration.scoring.test_store_equivalence import deliver_to_postgres
from tests.kafka_topics import read_topic
from tests.unit.scoring.test_ingest_fold import HISTORY
from tests.unit.scoring.world import NOW

pytestmark = pytest.mark.integration


class _Watched(NoMetrics):
    """What one process's relay reported: whether it led, and the feed lag after each pass."""

    def __init__(self) -> None:
        self.led = False
        self.lags: list[int] = []

    def relay_lag(self, topic: str, positions: int) -> None:
        self.lags.append(positions)

    def relay_leader(self, leading: bool) -> None:
        self.led |= leading


@contextlib.asynccontextmanager
async def _process_relay(isolated: Isolated, name: str) -> AsyncIterator[tuple[Relays, _Watched]]:
    """One scoring process's relay: its own producer and its own database connection."""
    producer = create_producer(isolated.bootstrap_servers, enable_idempotence=True, client_id=name)
    await producer.start()
    watched = _Watched()
    topics = isolated.topics
    relays = Relays(
        PgRelayStore(lambda: connect_alone(isolated.database_url, schema=SCHEMA, purpose=name)),
        KafkaRelayPublisher(producer, scores_topic=topics.scores, matched_topic=topics.activity_matched),
        batch_size=3,
        interval_sec=0.05,
        metrics=watched,
    )
    try:
        yield relays, watched
    finally:
        await relays.close()
        await producer.stop()


async def _caught_up(pool: Pool, watched: list[_Watched]) -> None:
    """Until every committed feed position is recorded published and a lease holder saw no lag."""
    while True:
        behind = await pool.fetchval(
            "SELECT count(*) FROM feed_positions p LEFT JOIN feed_relay_positions r USING (tenant_id) "
            "WHERE p.last_sequence > coalesce(r.published_through, 0)"
        )
        if not behind and any(w.lags and w.lags[-1] == 0 for w in watched):
            return
        await asyncio.sleep(0.05)


async def _published_as_the_feed_serves_it(pool: Pool, isolated: Isolated) -> None:
    """Every feed position on the topic is the message the feed's RPC serves for it: the relay
    writes the bytes straight from its rows, the RPC builds messages (nothing ingested since)."""
    published = {
        (m.tenant_id, m.feed_sequence): m
        for r in await read_topic(isolated.bootstrap_servers, isolated.topics.activity_matched)
        if r.value is not None
        for m in [scoring_pb2.MatchedActivity.FromString(r.value)]
    }
    tenants = [r["tenant_id"] for r in await pool.fetch("SELECT tenant_id FROM feed_positions")]
    assert tenants
    for tenant_id in tenants:
        for row in await feed_rows(pool, tenant_id=tenant_id, after=0, limit=10_000):
            assert published[(tenant_id, row["feed_sequence"])] == matched_activity(row)


async def test_two_processes_relays_publish_every_feed_position_once(
    scoring_pool: Pool, isolated: Isolated
) -> None:
    half = len(HISTORY) // 2
    await deliver_to_postgres(scoring_pool, [HISTORY[:half]])
    async with (
        _process_relay(isolated, "relay-a") as (first, a),
        _process_relay(isolated, "relay-b") as (
            second,
            b,
        ),
    ):
        stops = [asyncio.Event(), asyncio.Event()]
        runs = [asyncio.ensure_future(r.run(s)) for r, s in zip((first, second), stops, strict=True)]
        await _caught_up(scoring_pool, [a, b])
        assert a.led != b.led, "exactly one process holds the relay lease"
        await _published_as_the_feed_serves_it(scoring_pool, isolated)
        # The publisher's process stops: the other takes the lease and relays what comes next.
        leader, follower = (0, 1) if a.led else (1, 0)
        stops[leader].set()
        await runs[leader]
        await (first, second)[leader].close()
        ingest = IngestService(PgIngestStore(scoring_pool), now_us=lambda: datetime_to_us(NOW))
        for event in HISTORY[half:]:
            await ingest.apply([event])
        await _caught_up(scoring_pool, [(a, b)[follower]])
        assert (a, b)[follower].led
        stops[follower].set()
        await asyncio.gather(*runs)

    published = [
        scoring_pb2.MatchedActivity.FromString(r.value)
        for r in await read_topic(isolated.bootstrap_servers, isolated.topics.activity_matched)
        if r.value is not None
    ]
    positions = [(m.tenant_id, m.feed_sequence) for m in published]
    assert len(positions) == len(set(positions)), "a feed position was published twice"
    current = {
        (r["tenant_id"], r["feed_sequence"])
        for r in await scoring_pool.fetch(
            "SELECT tenant_id, feed_sequence FROM activities WHERE feed_sequence > 0"
        )
    }
    assert current <= set(positions)
