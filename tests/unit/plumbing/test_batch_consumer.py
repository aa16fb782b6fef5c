"""The consumer loop's rules, against an in-memory stand-in for the Kafka consumer."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata

from plumbing.kafka.consumer import BatchConsumer, ConsumerConfig, Record
from plumbing.kafka.dead_letters import DeadLetterPublisher, InvalidMessage
from tests.records import record

TOPIC = "topic"


class FakeConsumer:
    """Serves queued records once each and remembers commits, like a single-member group."""

    def __init__(self, records: list[Record]) -> None:
        self.pending = list(records)
        self.commits: list[dict[TopicPartition, OffsetAndMetadata]] = []
        self.events: list[str] = []
        self.drained = asyncio.Event()

    def subscribe(self, topics: list[str], listener: Any) -> None:
        pass

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Record]]:
        if not self.pending:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        batch, self.pending = self.pending[:max_records], self.pending[max_records:]
        by_partition: dict[TopicPartition, list[Record]] = {}
        for r in batch:
            by_partition.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
        return by_partition

    async def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self.events.append("commit")
        self.commits.append(offsets)
        if not self.pending:
            self.drained.set()

    def highwater(self, tp: TopicPartition) -> int | None:
        return None


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, list[tuple[str, bytes]]]] = []

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Any
    ) -> asyncio.Future[None]:
        self.sent.append((topic, value, list(headers)))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class TransientError(Exception):
    pass


class Processor:
    """Decodes b"poison" as invalid; `process` fails on b"bad" and transiently `flaky` times."""

    def __init__(self, consumer: FakeConsumer, *, flaky: int = 0) -> None:
        self.consumer = consumer
        self.flaky = flaky
        self.applied: list[bytes] = []

    def decode(self, r: Record) -> bytes:
        if r.value == b"poison":
            raise InvalidMessage("poison")
        assert r.value is not None
        return bytes(r.value)

    async def process(self, batch: Sequence[bytes]) -> None:
        if self.flaky:
            self.flaky -= 1
            raise TransientError("database restarting")
        if b"bad" in batch:
            raise ValueError("constraint violated")
        self.consumer.events.append("process")
        self.applied.extend(batch)


async def run(
    records: list[Record], *, flaky: int = 0, batch_size: int = 100
) -> tuple[Processor, FakeConsumer, FakeProducer]:
    consumer = FakeConsumer(records)
    producer = FakeProducer()
    processor = Processor(consumer, flaky=flaky)
    loop: BatchConsumer[bytes] = BatchConsumer(
        consumer=consumer,
        config=ConsumerConfig(
            group_id="g",
            topics=(TOPIC,),
            max_batch_size=batch_size,
            max_batch_time_ms=10,
            retry_backoff_initial_sec=0.001,
        ),
        processor=processor,
        dead_letters=DeadLetterPublisher(producer, topic="dlq", consumer_group="g"),
        is_transient=lambda exc: isinstance(exc, TransientError),
    )
    task = asyncio.create_task(loop.run())
    await asyncio.wait_for(consumer.drained.wait(), timeout=5)
    loop.stop()
    await asyncio.wait_for(task, timeout=5)
    return processor, consumer, producer


def _records(values: list[bytes]) -> list[Record]:
    return [record(v, topic=TOPIC, offset=i) for i, v in enumerate(values)]


async def test_commits_the_next_offset_only_after_processing() -> None:
    processor, consumer, _ = await run(_records([b"a", b"b", b"c"]))
    assert processor.applied == [b"a", b"b", b"c"]
    assert consumer.events == ["process", "commit"]
    assert consumer.commits[-1] == {TopicPartition(TOPIC, 0): OffsetAndMetadata(3, "")}


async def test_poison_is_dead_lettered_and_does_not_block_the_partition() -> None:
    processor, consumer, producer = await run(_records([b"a", b"poison", b"c"]))
    assert processor.applied == [b"a", b"c"]
    assert [(topic, value) for topic, value, _ in producer.sent] == [("dlq", b"poison")]
    headers = dict(producer.sent[0][2])
    assert headers["dlq.error"] == b"poison"
    assert headers["dlq.original.offset"] == b"1"
    assert consumer.commits[-1][TopicPartition(TOPIC, 0)].offset == 3


async def test_transient_failures_retry_the_same_batch_without_committing() -> None:
    processor, consumer, producer = await run(_records([b"a", b"b"]), flaky=3)
    assert processor.applied == [b"a", b"b"]
    assert consumer.events == ["process", "commit"]
    assert producer.sent == []


async def test_a_record_failing_on_its_own_is_isolated_and_dead_lettered() -> None:
    processor, consumer, producer = await run(_records([b"a", b"bad", b"c"]))
    assert processor.applied == [b"a", b"c"]
    assert [value for _, value, _ in producer.sent] == [b"bad"]
    assert "constraint violated" in dict(producer.sent[0][2])["dlq.error"].decode()
    assert consumer.commits[-1][TopicPartition(TOPIC, 0)].offset == 3
