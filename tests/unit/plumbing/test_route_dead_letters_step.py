"""Dead letters are stored before their offsets go on; a batch without any passes straight through."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from plumbing.kafka.dead_letters import DeadLetter, DeadLetterPublisher
from plumbing.kafka.metrics import ConsumerMetrics
from plumbing.kafka.retry import Health, RetryPolicy
from plumbing.kafka.steps.abstract import Message, MessageRejected
from plumbing.kafka.steps.route_dead_letters import DeadLetteringFailed, RouteDeadLetters
from tests.records import record
from tests.unit.plumbing.fakes import FakeProducer, RecordingStep

P0 = TopicPartition("topic", 0)


class TransientError(Exception):
    pass


class FailingPublisher(DeadLetterPublisher):
    def __init__(self, error: Exception, times: int) -> None:
        super().__init__(FakeProducer(), topic="dlq", consumer_group="g")
        self.error, self.times = error, times

    async def publish(self, letters: list[DeadLetter]) -> None:
        if self.times:
            self.times -= 1
            raise self.error
        await super().publish(letters)


def make(publisher: DeadLetterPublisher) -> tuple[RouteDeadLetters, RecordingStep]:
    next_step = RecordingStep()
    step = RouteDeadLetters(
        next_step,
        publisher=publisher,
        retry=RetryPolicy(lambda exc: isinstance(exc, TransientError), 0.001, 0.001),
        health=Health(),
        metrics=ConsumerMetrics("unit"),
        wake=lambda: None,
    )
    return step, next_step


def letters(*values: bytes) -> Message[list[DeadLetter]]:
    return Message(
        [DeadLetter(record(v, topic="topic", offset=i), "why") for i, v in enumerate(values)], {P0: 9}
    )


def test_no_dead_letters_pass_straight_through() -> None:
    producer = FakeProducer()
    step, next_step = make(DeadLetterPublisher(producer, topic="dlq", consumer_group="g"))
    step.submit(letters())
    assert next_step.received == [Message(None, {P0: 9})] and producer.sent == []


async def test_offsets_go_on_only_after_the_letters_are_stored() -> None:
    producer = FakeProducer()
    step, next_step = make(DeadLetterPublisher(producer, topic="dlq", consumer_group="g"))
    step.submit(letters(b"x", b"y"))
    assert next_step.received == []
    with pytest.raises(MessageRejected):
        step.submit(letters())  # in order: even an empty batch waits behind the publication
    await step.join()
    assert [value for _, value, _ in producer.sent] == [b"x", b"y"]
    assert next_step.received == [Message(None, {P0: 9})]


async def test_a_transient_failure_is_retried() -> None:
    step, next_step = make(FailingPublisher(TransientError("broker away"), times=2))
    step.submit(letters(b"x"))
    await step.join()
    assert next_step.received == [Message(None, {P0: 9})]


async def test_a_permanent_failure_stops_the_consumer_without_passing_offsets() -> None:
    step, next_step = make(FailingPublisher(ValueError("topic gone"), times=1))
    step.submit(letters(b"x"))
    await asyncio.sleep(0.01)
    with pytest.raises(DeadLetteringFailed):
        step.poll()
    assert next_step.received == []
