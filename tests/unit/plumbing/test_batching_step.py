"""Batching by size or time, and what a busy next step does to it."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from plumbing.kafka.steps.abstract import Message, MessageRejected
from plumbing.kafka.steps.batching import BatchBySizeOrTime
from tests.unit.plumbing.fakes import ManualClock, RecordingStep

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


def make(size: int = 3, time_sec: float = 1.0) -> tuple[BatchBySizeOrTime[int], RecordingStep, ManualClock]:
    clock = ManualClock()
    next_step = RecordingStep()
    return (
        BatchBySizeOrTime(next_step, max_batch_size=size, max_batch_time_sec=time_sec, clock=clock),
        next_step,
        clock,
    )


def submit(step: BatchBySizeOrTime[int], *values: int, partition: TopicPartition = P0) -> None:
    for value in values:
        step.submit(Message(value, {partition: value + 1}))


@pytest.mark.parametrize(
    ("values", "elapsed_sec", "batches"),
    [
        pytest.param([1, 2], 0.5, [], id="Batch still open"),
        pytest.param([1, 2, 3], 0.0, [[1, 2, 3]], id="Batch closed by size"),
        pytest.param([1, 2], 1.0, [[1, 2]], id="Batch closed by time"),
        pytest.param([1, 2, 3, 4], 0.0, [[1, 2, 3]], id="Next batch opened after a full one"),
        pytest.param([], 5.0, [], id="No empty batch by time"),
    ],
)
def test_batches_close_by_size_or_time(
    values: list[int], elapsed_sec: float, batches: list[list[int]]
) -> None:
    step, next_step, clock = make()
    submit(step, *values)
    clock.advance(elapsed_sec)
    step.poll()
    assert next_step.payloads == batches


def test_offsets_are_merged_latest_per_partition() -> None:
    step, next_step, _ = make(size=3)
    submit(step, 1, partition=P0)
    submit(step, 7, partition=P1)
    submit(step, 2, partition=P0)
    assert next_step.received[0].offsets == {P0: 3, P1: 8}


def test_a_busy_next_step_makes_the_due_batch_keep_filling_then_push_back() -> None:
    step, next_step, clock = make(size=3)
    next_step.busy = True
    submit(step, 1)
    clock.advance(2.0)
    step.poll()  # due by time, refused: stays open
    submit(step, 2, 3)  # fills up to the size
    with pytest.raises(MessageRejected):
        submit(step, 4)
    next_step.busy = False
    step.poll()
    assert next_step.payloads == [[1, 2, 3]]
    submit(step, 4)
    assert next_step.calls == ["poll", "poll"]


async def test_join_hands_on_the_open_batch_then_joins_the_next_step() -> None:
    step, next_step, _ = make(size=10)
    submit(step, 1, 2)
    step.close()
    await step.join()
    assert next_step.payloads == [[1, 2]]
    assert next_step.calls == ["close", "join"]


def test_terminate_drops_the_open_batch() -> None:
    step, next_step, clock = make()
    submit(step, 1)
    step.terminate()
    clock.advance(5.0)
    step.poll()
    assert next_step.payloads == [] and "terminate" in next_step.calls
