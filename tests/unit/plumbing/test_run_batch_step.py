"""Running the handler: one batch at a time, transient failures retried, the others split."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from aiokafka import TopicPartition

from plumbing.kafka.dead_letters import DeadLetter
from plumbing.kafka.metrics import ConsumerMetrics
from plumbing.kafka.retry import Health, RetryPolicy
from plumbing.kafka.steps.abstract import Message, MessageRejected
from plumbing.kafka.steps.decode import Decoded, Outcome
from plumbing.kafka.steps.run_batch import RunBatch
from tests.records import record
from tests.unit.plumbing.fakes import RecordingStep

P0 = TopicPartition("topic", 0)


class TransientError(Exception):
    pass


class Handler:
    """Fails transiently `flaky` times, then for good on any batch holding "bad"."""

    def __init__(self, *, flaky: int = 0) -> None:
        self.flaky = flaky
        self.calls: list[list[str]] = []
        self.applied: list[str] = []
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, batch: Sequence[str]) -> None:
        self.calls.append(list(batch))
        await self.release.wait()
        if self.flaky:
            self.flaky -= 1
            raise TransientError("database restarting")
        if "bad" in batch:
            raise ValueError("constraint violated")
        self.applied.extend(batch)


def batch(*values: str) -> Message[list[Outcome[str]]]:
    items: list[Outcome[str]] = []
    for offset, value in enumerate(values):
        r = record(value.encode(), topic="topic", offset=offset)
        items.append(DeadLetter(r, "undecodable") if value == "poison" else Decoded(r, value))
    return Message(items, {P0: len(values)})


def make(handler: Handler) -> tuple[RunBatch[str], RecordingStep, Health]:
    next_step = RecordingStep()
    health = Health()
    step: RunBatch[str] = RunBatch(
        next_step,
        handler=handler,
        retry=RetryPolicy(lambda exc: isinstance(exc, TransientError), 0.001, 0.002),
        health=health,
        metrics=ConsumerMetrics("unit"),
        wake=lambda: None,
    )
    return step, next_step, health


@pytest.mark.parametrize(
    ("values", "flaky", "calls", "applied", "dead"),
    [
        pytest.param(["a", "b"], 0, [["a", "b"]], ["a", "b"], [], id="applied in one call"),
        pytest.param(["a", "b"], 2, [["a", "b"]] * 3, ["a", "b"], [], id="transient: same batch retried"),
        pytest.param(
            ["a", "bad", "c"],
            0,
            [["a", "bad", "c"], ["a"], ["bad"], ["c"]],
            ["a", "c"],
            ["bad"],
            id="permanent: split, only the culprit dead",
        ),
        pytest.param(["a", "poison"], 0, [["a"]], ["a"], ["poison"], id="poison passes by the handler"),
        pytest.param(["poison"], 0, [], [], ["poison"], id="only poison: no handler call"),
    ],
)
async def test_apply(
    values: list[str], flaky: int, calls: list[list[str]], applied: list[str], dead: list[str]
) -> None:
    handler = Handler(flaky=flaky)
    step, next_step, health = make(handler)
    step.submit(batch(*values))
    await step.join()
    assert handler.calls == calls and handler.applied == applied
    [result] = next_step.received
    assert [letter.record.value.decode() for letter in result.payload if letter.record.value] == dead
    assert result.offsets == {P0: len(values)}
    assert health.healthy


async def test_the_reason_of_a_split_failure_is_kept() -> None:
    step, next_step, _ = make(Handler())
    step.submit(batch("bad"))
    await step.join()
    assert "constraint violated" in next_step.payloads[0][0].reason


async def test_one_batch_at_a_time_and_health_while_retrying() -> None:
    handler = Handler(flaky=1000)
    step, next_step, health = make(handler)
    step.submit(batch("a"))
    with pytest.raises(MessageRejected):
        step.submit(batch("b"))
    await asyncio.sleep(0.01)
    assert not health.healthy
    handler.flaky = 0
    await asyncio.sleep(0.01)
    step.poll()
    assert health.healthy and next_step.payloads == [[]]
    step.submit(batch("b"))


async def test_a_result_waits_while_the_next_step_is_busy() -> None:
    step, next_step, _ = make(Handler())
    next_step.busy = True
    step.submit(batch("a"))
    await asyncio.sleep(0)
    step.poll()
    with pytest.raises(MessageRejected):
        step.submit(batch("b"))
    next_step.busy = False
    step.poll()
    assert len(next_step.received) == 1
    step.submit(batch("b"))


async def test_terminate_cancels_the_batch_in_flight() -> None:
    handler = Handler()
    handler.release.clear()
    step, next_step, _ = make(handler)
    step.submit(batch("a"))
    await asyncio.sleep(0)
    step.terminate()
    handler.release.set()
    await asyncio.sleep(0)
    step.poll()
    assert handler.applied == [] and next_step.received == []
