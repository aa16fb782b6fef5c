"""Through the real broker, consumer loop and PostgreSQL: a shuffled delivery with duplicates, spread
over both topics and many partitions, ends in the state of one in-order delivery."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from plumbing.db.pool import Pool, is_transient_db_error
from plumbing.kafka.consumer import BatchConsumer, ConsumerConfig, create_consumer
from plumbing.kafka.dead_letters import DeadLetterPublisher
from plumbing.kafka.records import protobuf_headers, record_key
from plumbing.kafka.topics import Topics, ensure_topics
from services.scoring.domain.instants import datetime_to_us
from services.scoring.operations.ingest import Decoded
from services.scoring.wiring import build_processor
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.platform import committed_through_end
from tests.integration.scoring.conftest import empty_scoring_tables
from tests.integration.scoring.pg_state import comparable_state
from tests.unit.scoring.test_ingest_fold import deliver_in_memory
from tests.unit.scoring.world import NOW, decode, merged_history

pytestmark = pytest.mark.integration
EVENTS = merged_history()


@st.composite
def shuffled_with_duplicates(draw: st.DrawFn) -> list[int]:
    extra = draw(st.lists(st.sampled_from(range(len(EVENTS))), max_size=15))
    return draw(st.permutations(list(range(len(EVENTS))) + extra))


async def publish(bootstrap: str, topics: Topics, order: list[int]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        for index in order:
            event = EVENTS[index]
            if isinstance(event, activity_pb2.Activity):
                topic, key = topics.activity_captured, record_key(event.tenant_id, event.rep_id)
            else:
                assert isinstance(event, crm_pb2.CrmEvent)
                topic, key = topics.crm_events, record_key(event.tenant_id, event.rep_id)
            await producer.send(
                topic, key=key, value=event.SerializeToString(), headers=protobuf_headers(event)
            )
        await producer.flush()
    finally:
        await producer.stop()


async def consume_until_committed(isolated: Isolated, pool: Pool, topics: Topics, group: str) -> None:
    config = ConsumerConfig(
        group_id=group,
        topics=(topics.activity_captured, topics.crm_events),
        max_batch_size=7,  # small batches: many transactions, duplicates split across them
        max_batch_time_ms=20,
        session_timeout_ms=2000,
    )
    kafka = create_consumer(isolated.bootstrap_servers, config, client_id="property")
    await kafka.start()
    dead_letters = AIOKafkaProducer(bootstrap_servers=isolated.bootstrap_servers)
    await dead_letters.start()
    consumer: BatchConsumer[Decoded] = BatchConsumer(
        consumer=kafka,
        config=config,
        processor=build_processor(pool, clock=lambda: datetime_to_us(NOW)),
        dead_letters=DeadLetterPublisher(dead_letters, topic=topics.deadletter, consumer_group=group),
        is_transient=is_transient_db_error,
    )
    task = asyncio.create_task(consumer.run())
    try:

        async def caught_up() -> bool:
            return await committed_through_end(
                isolated.bootstrap_servers, group, topics.activity_captured
            ) and await committed_through_end(isolated.bootstrap_servers, group, topics.crm_events)

        await eventually(caught_up, timeout_sec=60, interval_sec=0.2)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, timeout=30)
        await kafka.stop()
        await dead_letters.stop()


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(order=shuffled_with_duplicates())
async def test_shuffled_duplicated_delivery_through_the_consumer_ends_in_the_in_order_state(
    isolated: Isolated, scoring_pool: Pool, order: list[int]
) -> None:
    await empty_scoring_tables(scoring_pool)
    topics = Topics(namespace=f"p{uuid.uuid4().hex[:8]}.")
    await ensure_topics(isolated.bootstrap_servers, topics)
    await publish(isolated.bootstrap_servers, topics, order)
    await consume_until_committed(isolated, scoring_pool, topics, group=f"g-{topics.namespace}")
    expected = await deliver_in_memory([[decode(e)] for e in EVENTS])
    assert await comparable_state(scoring_pool) == expected.comparable(with_feed=False)
