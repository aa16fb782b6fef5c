"""The driver alone, with a recording pipeline: order, holding back, hand-over at rebalances."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import TopicPartition

from plumbing.kafka.backpressure import Backpressure
from plumbing.kafka.metrics import ConsumerMetrics
from plumbing.kafka.processor import StreamProcessor
from plumbing.kafka.records import Record
from plumbing.kafka.steps.abstract import ProcessingStep, Wake
from tests.records import record
from tests.unit.plumbing.fakes import FakeMember, RecordingStep

P0, P1 = TopicPartition("topic", 0), TopicPartition("topic", 1)


class Factory:
    def __init__(self, *, busy: bool) -> None:
        self.busy = busy
        self.pipelines: list[RecordingStep] = []

    def create(self, wake: Wake) -> ProcessingStep[Record]:
        self.pipelines.append(RecordingStep(busy=self.busy))
        return self.pipelines[-1]


def make(records: list[Record], *, busy: bool = False) -> tuple[StreamProcessor, FakeMember, Factory]:
    member, factory, metrics = FakeMember(records), Factory(busy=busy), ConsumerMetrics("unit")
    processor = StreamProcessor(
        member,
        topics=["topic"],
        factory=factory,
        backpressure=Backpressure(member, pause_after_sec=60, metrics=metrics),
        metrics=metrics,
        max_records=100,
        poll_interval_sec=0.005,
        join_timeout_sec=1,
    )
    return processor, member, factory


async def until(condition: Any) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met")


async def test_records_go_in_order_each_with_its_next_offset() -> None:
    records = [record(b"a", topic="topic", offset=0), record(b"b", topic="topic", partition=1, offset=7)]
    processor, _, factory = make(records)
    task = asyncio.create_task(processor.run())
    await until(lambda: factory.pipelines and len(factory.pipelines[0].received) == 2)
    processor.stop()
    await task
    [pipeline] = factory.pipelines
    assert [(m.payload.value, m.offsets) for m in pipeline.received] == [(b"a", {P0: 1}), (b"b", {P1: 8})]
    assert pipeline.calls[-2:] == ["close", "join"]


async def test_refused_records_are_held_and_submitted_again_in_order() -> None:
    records = [record(v, topic="topic", offset=i) for i, v in enumerate([b"a", b"b"])]
    processor, _, factory = make(records, busy=True)
    task = asyncio.create_task(processor.run())
    await until(lambda: factory.pipelines)
    await asyncio.sleep(0.02)
    factory.pipelines[0].busy = False
    await until(lambda: len(factory.pipelines[0].received) == 2)
    processor.stop()
    await task
    assert factory.pipelines[0].payloads[0].value == b"a"


async def test_a_revocation_joins_the_pipeline_drops_held_records_and_starts_afresh() -> None:
    processor, member, factory = make([record(b"a", topic="topic", offset=0)], busy=True)
    task = asyncio.create_task(processor.run())
    await until(lambda: factory.pipelines)
    first = factory.pipelines[0]
    await asyncio.sleep(0.02)  # "a" is held by the driver
    await member.rebalance({P0})
    assert first.calls[-2:] == ["close", "join"] and first.received == []
    assert len(factory.pipelines) == 2
    factory.pipelines[1].busy = False
    await asyncio.sleep(0.02)
    assert factory.pipelines[1].received == [], "held records of the old assignment are not replayed"
    processor.stop()
    await task
