"""Scoring consumers handing partitions over: a member that dies after its database commit but
before its offset commit (the records come again to the next member; the store must end with one row
per activity), and a member that gives its partitions up in a rebalance (the forced commit on
revocation: the next member starts after what was applied, not from the start).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from plumbing.db.pool import Pool, create_pool, is_transient_db_error
from plumbing.kafka.commit import CommitPolicy
from plumbing.kafka.consumer import BatchConsumer, ConsumerConfig, Record, create_consumer
from plumbing.kafka.dead_letters import DeadLetterPublisher
from plumbing.kafka.producer import create_producer
from services.capture.adapters.kafka_publisher import KafkaActivityPublisher
from services.scoring.app import run_migrations, running_scoring
from services.scoring.operations.ingest import Decoded
from services.scoring.wiring import build_processor
from tests.conftest import eventually
from tests.factories import make_activity
from tests.integration.conftest import Isolated
from tests.integration.platform import committed_through_end, scoring_settings, stored_activity_ids
from tests.kafka_topics import partitions_of

pytestmark = pytest.mark.integration


async def test_restart_before_offset_commit_leaves_one_row_per_activity(isolated: Isolated) -> None:
    group = "scoring-crash"
    settings = scoring_settings(isolated, group=group)
    topic = isolated.topics.activity_captured
    activities = [make_activity(tenant_id="acme", rep_id=f"rep-{i % 3}") for i in range(30)]

    producer = create_producer(isolated.bootstrap_servers, enable_idempotence=False, client_id="test")
    await producer.start()
    try:
        await KafkaActivityPublisher(producer, topic=topic).publish(activities)
    finally:
        await producer.stop()

    # The member that crashes: it reads and writes everything, then vanishes without committing.
    await run_migrations(settings)
    pool = await create_pool(isolated.database_url, schema="scoring")
    doomed = AIOKafkaConsumer(
        topic,
        bootstrap_servers=isolated.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=2000,
        heartbeat_interval_ms=200,
    )
    await doomed.start()
    try:
        processor = build_processor(pool)
        decoded: list[Decoded] = []
        while len(decoded) < len(activities):
            fetched = await doomed.getmany(timeout_ms=5000)
            assert fetched, "records never arrived"
            decoded += [processor.decode(r) for records in fetched.values() for r in records]
        await processor.process(decoded)
    finally:
        await doomed.stop()  # no commit: auto-commit is off
        await pool.close()
    assert sorted(await stored_activity_ids(isolated.database_url, [a.id for a in activities])) == sorted(
        a.id for a in activities
    )
    probe = AIOKafkaConsumer(bootstrap_servers=isolated.bootstrap_servers, group_id=group)
    await probe.start()
    try:
        assert await probe.committed(TopicPartition(topic, 0)) is None
    finally:
        await probe.stop()

    # The restarted service re-reads every record from the last commit (none) and converges.
    async with running_scoring(settings):
        await eventually(lambda: committed_through_end(isolated.bootstrap_servers, group, topic))

    stored = await stored_activity_ids(isolated.database_url, [a.id for a in activities])
    assert sorted(stored) == sorted(a.id for a in activities)


async def records_in(bootstrap_servers: str, topic: str) -> int:
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers)
    await probe.start()
    try:
        ends = await probe.end_offsets(await partitions_of(bootstrap_servers, topic))
        return sum(ends.values())
    finally:
        await probe.stop()


class CountingProcessor:
    """Scoring's processor, counting the records it applied."""

    def __init__(self, pool: Pool) -> None:
        self._inner = build_processor(pool)
        self.applied = 0

    def decode(self, record: Record) -> Decoded:
        return self._inner.decode(record)

    async def process(self, batch: Sequence[Decoded]) -> None:
        await self._inner.process(batch)
        self.applied += len(batch)


async def test_a_rebalance_commits_what_was_applied_before_the_partitions_move(isolated: Isolated) -> None:
    group = "scoring-rebalance"
    settings = scoring_settings(isolated, group=group)
    topic = isolated.topics.activity_captured
    activities = [make_activity(tenant_id="acme", rep_id=f"rep-{i % 5}") for i in range(40)]
    producer = create_producer(isolated.bootstrap_servers, enable_idempotence=False, client_id="test")
    await producer.start()
    try:
        await KafkaActivityPublisher(producer, topic=topic).publish(activities)
    finally:
        await producer.stop()
    await run_migrations(settings)
    pool = await create_pool(isolated.database_url, schema="scoring")
    dead_letters = AIOKafkaProducer(bootstrap_servers=isolated.bootstrap_servers)
    await dead_letters.start()
    # Never due by policy: whatever gets committed is the forced commit of a revocation or shutdown.
    config = ConsumerConfig(
        group_id=group,
        topics=(topic,),
        max_batch_time_ms=20,
        session_timeout_ms=2000,
        commit_policy=CommitPolicy(min_interval_sec=3600.0, min_records=None),
    )
    members: list[tuple[BatchConsumer[Decoded], asyncio.Task[None], AIOKafkaConsumer, CountingProcessor]] = []

    async def join_group() -> tuple[CountingProcessor, AIOKafkaConsumer]:
        kafka = create_consumer(isolated.bootstrap_servers, config, client_id=f"member-{len(members)}")
        await kafka.start()
        processor = CountingProcessor(pool)
        consumer: BatchConsumer[Decoded] = BatchConsumer(
            consumer=kafka,
            config=config,
            processor=processor,
            dead_letters=DeadLetterPublisher(
                dead_letters, topic=isolated.topics.deadletter, consumer_group=group
            ),
            is_transient=is_transient_db_error,
        )
        members.append((consumer, asyncio.create_task(consumer.run()), kafka, processor))
        return processor, kafka

    try:
        in_topic = await records_in(isolated.bootstrap_servers, topic)  # earlier tests' records too
        first, _ = await join_group()

        async def all_applied() -> bool:
            return first.applied >= in_topic

        await eventually(all_applied)
        assert not await committed_through_end(isolated.bootstrap_servers, group, topic)

        second, second_kafka = await join_group()  # rebalance: the first member revokes, commits, shares

        async def second_owns_partitions() -> bool:
            return bool(second_kafka.assignment())

        await eventually(second_owns_partitions)
        assert await committed_through_end(isolated.bootstrap_servers, group, topic)
        await asyncio.sleep(0.5)
        assert second.applied == 0, "the second member re-read records the first one had applied"
    finally:
        for consumer, task, kafka, _ in reversed(members):
            consumer.stop()
            await asyncio.wait_for(task, timeout=30)
            await kafka.stop()
        await dead_letters.stop()
        await pool.close()
