"""The whole consumer (driver and standard pipeline) against an in-memory group member."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata

from plumbing.kafka.commit import IMMEDIATE, ONCE_PER_SECOND
from plumbing.kafka.consumer import BatchConsumer, ConsumerConfig, Record
from plumbing.kafka.dead_letters import DeadLetterPublisher, InvalidMessage
from tests.records import record
from tests.unit.plumbing.fakes import FakeMember, FakeProducer

TOPIC = "topic"
P0 = TopicPartition(TOPIC, 0)
CONFIG = ConsumerConfig(
    group_id="g",
    topics=(TOPIC,),
    max_batch_size=100,
    max_batch_time_ms=10,
    retry_backoff_initial_sec=0.001,
    commit_policy=IMMEDIATE,
)


class TransientError(Exception):
    pass


class Processor:
    """Decodes b"poison" as invalid; `process` fails on b"bad", transiently `flaky` times, and waits
    for `release` when it is cleared."""

    def __init__(self, member: FakeMember, *, flaky: int = 0) -> None:
        self.member = member
        self.flaky = flaky
        self.applied: list[bytes] = []
        self.batches: list[list[bytes]] = []
        self.release = asyncio.Event()
        self.release.set()

    def decode(self, r: Record) -> bytes:
        if r.value == b"poison":
            raise InvalidMessage("poison")
        assert r.value is not None
        return bytes(r.value)

    async def process(self, batch: Sequence[bytes]) -> None:
        await self.release.wait()
        if self.flaky:
            self.flaky -= 1
            raise TransientError("database restarting")
        if b"bad" in batch:
            raise ValueError("constraint violated")
        self.member.events.append("process")
        self.batches.append(list(batch))
        self.applied.extend(batch)


def build(
    records: list[Record], config: ConsumerConfig = CONFIG, *, flaky: int = 0
) -> tuple[BatchConsumer[bytes], Processor, FakeMember, FakeProducer]:
    member = FakeMember(records)
    producer = FakeProducer()
    processor = Processor(member, flaky=flaky)
    consumer: BatchConsumer[bytes] = BatchConsumer(
        consumer=member,
        config=config,
        processor=processor,
        dead_letters=DeadLetterPublisher(producer, topic="dlq", consumer_group="g"),
        is_transient=lambda exc: isinstance(exc, TransientError),
    )
    return consumer, processor, member, producer


async def run(records: list[Record], *, flaky: int = 0) -> tuple[Processor, FakeMember, FakeProducer]:
    consumer, processor, member, producer = build(records, flaky=flaky)
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(member.drained.wait(), timeout=5)
    consumer.stop()
    await asyncio.wait_for(task, timeout=5)
    return processor, member, producer


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met within 5 s")


def _records(values: list[bytes]) -> list[Record]:
    return [record(v, topic=TOPIC, offset=i) for i, v in enumerate(values)]


async def test_commits_the_next_offset_only_after_processing() -> None:
    processor, member, _ = await run(_records([b"a", b"b", b"c"]))
    assert processor.applied == [b"a", b"b", b"c"]
    assert member.events == ["revoked", "process", "commit"]
    assert member.commits[-1] == {P0: OffsetAndMetadata(3, "")}


async def test_poison_is_dead_lettered_and_does_not_block_the_partition() -> None:
    processor, member, producer = await run(_records([b"a", b"poison", b"c"]))
    assert processor.applied == [b"a", b"c"]
    assert [(topic, value) for topic, value, _ in producer.sent] == [("dlq", b"poison")]
    headers = dict(producer.sent[0][2])
    assert headers["dlq.error"] == b"poison"
    assert headers["dlq.original.offset"] == b"1"
    assert member.committed(P0) == 3


async def test_transient_failures_retry_the_same_batch_without_committing() -> None:
    processor, member, producer = await run(_records([b"a", b"b"]), flaky=3)
    assert processor.applied == [b"a", b"b"]
    assert member.events == ["revoked", "process", "commit"]
    assert producer.sent == []


async def test_a_record_failing_on_its_own_is_isolated_and_dead_lettered() -> None:
    processor, member, producer = await run(_records([b"a", b"bad", b"c"]))
    assert processor.applied == [b"a", b"c"]
    assert [value for _, value, _ in producer.sent] == [b"bad"]
    assert "constraint violated" in dict(producer.sent[0][2])["dlq.error"].decode()
    assert member.committed(P0) == 3


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param("revoke", id="Forced commit on revocation"),
        pytest.param("shutdown", id="Forced commit on shutdown"),
    ],
)
async def test_a_throttled_commit_is_forced_when_the_pipeline_is_joined(moment: str) -> None:
    config = dataclasses.replace(CONFIG, commit_policy=ONCE_PER_SECOND)
    consumer, processor, member, _ = build(_records([b"a", b"b"]), config)
    task = asyncio.create_task(consumer.run())
    await until(lambda: processor.applied == [b"a", b"b"])
    assert member.commits == [], "once per second: not yet"
    if moment == "revoke":
        await member.rebalance({P0})
    else:
        consumer.stop()
        await asyncio.wait_for(task, timeout=5)
    assert member.committed(P0) == 2
    consumer.stop()
    await asyncio.wait_for(task, timeout=5)


async def test_a_saturated_handler_pauses_the_partitions_and_loses_nothing() -> None:
    config = dataclasses.replace(CONFIG, max_batch_size=2, pause_after_sec=0.02)
    values = [f"r{i}".encode() for i in range(12)]
    consumer, processor, member, _ = build(_records(values), config)
    processor.release.clear()
    task = asyncio.create_task(consumer.run())
    await until(lambda: "pause" in member.events)
    assert member.paused() == {P0}
    processor.release.set()
    await asyncio.wait_for(member.drained.wait(), timeout=5)
    consumer.stop()
    await asyncio.wait_for(task, timeout=5)
    assert processor.applied == values
    assert "resume" in member.events and all(len(batch) <= 2 for batch in processor.batches)
    assert member.committed(P0) == 12


async def test_a_stuck_handler_cannot_hold_up_a_rebalance() -> None:
    config = dataclasses.replace(CONFIG, join_timeout_sec=0.05)
    consumer, processor, member, _ = build(_records([b"a"]), config)
    processor.release.clear()
    task = asyncio.create_task(consumer.run())
    await until(lambda: member.fetches >= 2)
    await asyncio.wait_for(member.rebalance({P0}), timeout=1)
    assert member.commits == [] and processor.applied == []
    consumer.stop()
    await asyncio.wait_for(task, timeout=5)


async def test_a_failure_no_step_can_handle_stops_the_consumer() -> None:
    class BrokenPublisher(DeadLetterPublisher):
        async def publish(self, letters: object) -> None:
            raise RuntimeError("dead-letter topic deleted")

    member = FakeMember(_records([b"poison"]))
    consumer: BatchConsumer[bytes] = BatchConsumer(
        consumer=member,
        config=CONFIG,
        processor=Processor(member),
        dead_letters=BrokenPublisher(FakeProducer(), topic="dlq", consumer_group="g"),
        is_transient=lambda exc: False,
    )
    with pytest.raises(Exception, match="dead letters not stored"):
        await asyncio.wait_for(consumer.run(), timeout=5)
    assert member.commits == []
