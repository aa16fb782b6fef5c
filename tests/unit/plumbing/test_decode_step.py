"""The decode step: values and dead letters flow on in order, with their offsets."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from plumbing.kafka.dead_letters import DeadLetter, InvalidMessage
from plumbing.kafka.records import Record
from plumbing.kafka.steps.abstract import Message, MessageRejected
from plumbing.kafka.steps.decode import Decode, Decoded
from tests.records import record
from tests.unit.plumbing.fakes import RecordingStep

P0 = TopicPartition("topic", 0)


def decode(r: Record) -> str:
    if r.value == b"poison":
        raise InvalidMessage("not a greeting")
    if r.value == b"bug":
        raise KeyError("decoder bug")
    assert r.value is not None
    return bytes(r.value).decode().upper()


def message(value: bytes, offset: int = 0) -> Message[Record]:
    return Message(record(value, topic="topic", offset=offset), {P0: offset + 1})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(b"hello", "HELLO", id="decoded"),
        pytest.param(b"poison", "not a greeting", id="invalid: a dead letter with the reason"),
    ],
)
def test_each_record_becomes_a_value_or_a_dead_letter(value: bytes, expected: str) -> None:
    next_step = RecordingStep()
    Decode(next_step, decode).submit(message(value, offset=4))
    [out] = next_step.received
    assert out.offsets == {P0: 5}
    if isinstance(out.payload, Decoded):
        assert out.payload.value == expected
    else:
        assert isinstance(out.payload, DeadLetter)
        assert out.payload.reason == expected and out.payload.record.offset == 4


def test_a_decoder_bug_is_not_dead_lettered() -> None:
    with pytest.raises(KeyError):
        Decode(RecordingStep(), decode).submit(message(b"bug"))


def test_backpressure_passes_through_untouched() -> None:
    next_step = RecordingStep(busy=True)
    with pytest.raises(MessageRejected):
        Decode(next_step, decode).submit(message(b"hello"))
    assert next_step.received == []


async def test_poll_join_close_terminate_reach_the_next_step() -> None:
    next_step = RecordingStep()
    step = Decode(next_step, decode)
    step.poll()
    step.close()
    await step.join()
    step.terminate()
    assert next_step.calls == ["poll", "close", "join", "terminate"]
