"""A scoring consumer that dies after its database commit but before its offset commit.

The records come again to the next member of the group; the store must end with one row per activity.
"""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from plumbing.db.pool import create_pool
from plumbing.kafka.producer import create_producer
from services.capture.adapters.kafka_publisher import KafkaActivityPublisher
from services.scoring.app import run_migrations, running_scoring
from services.scoring.operations.ingest import Decoded
from services.scoring.wiring import build_processor
from tests.conftest import eventually
from tests.factories import make_activity
from tests.integration.conftest import Isolated
from tests.integration.platform import committed_through_end, scoring_settings, stored_activity_ids

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
