"""Pausing the partitions when the pipeline keeps refusing records, resuming when it takes them."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from plumbing.kafka.backpressure import Backpressure
from plumbing.kafka.metrics import ConsumerMetrics
from tests.unit.plumbing.fakes import FakeMember, ManualClock

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


def make() -> tuple[Backpressure, FakeMember, ManualClock]:
    member = FakeMember([])
    member.assigned = {P0, P1}
    clock = ManualClock()
    return (
        Backpressure(member, pause_after_sec=1.0, metrics=ConsumerMetrics("unit"), clock=clock),
        member,
        clock,
    )


@pytest.mark.parametrize(
    ("refusals", "paused"),
    [
        pytest.param([0.0], False, id="one refusal: no pause"),
        pytest.param([0.0, 0.5, 0.4], False, id="refused for 0.9 s: no pause"),
        pytest.param([0.0, 0.5, 0.5], True, id="refused for 1 s: paused"),
    ],
)
def test_pauses_every_assigned_partition_once_refusals_last(refusals: list[float], paused: bool) -> None:
    backpressure, member, clock = make()
    for elapsed in refusals:
        clock.advance(elapsed)
        backpressure.refused()
    assert backpressure.paused is paused
    assert member.paused() == ({P0, P1} if paused else set())


def test_resumes_once_accepted_and_starts_counting_afresh() -> None:
    backpressure, member, clock = make()
    backpressure.refused()
    clock.advance(2.0)
    backpressure.refused()
    backpressure.accepted()
    assert not backpressure.paused and member.paused() == set()
    assert member.events == ["pause", "resume"]
    backpressure.refused()
    assert not backpressure.paused


def test_accepted_without_a_pause_touches_nothing() -> None:
    backpressure, member, _ = make()
    backpressure.refused()
    backpressure.accepted()
    assert member.events == []


def test_a_revocation_forgets_the_pause_without_resuming_foreign_partitions() -> None:
    backpressure, member, clock = make()
    backpressure.refused()
    clock.advance(1.0)
    backpressure.refused()
    backpressure.forget()
    backpressure.accepted()
    assert not backpressure.paused and member.events == ["pause"]
