"""The commit step: stages offsets, commits under the policy as a task, forces a commit on join."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError, KafkaError
from aiokafka.structs import OffsetAndMetadata

from plumbing.kafka.commit import IMMEDIATE, ONCE_PER_SECOND, CommitPolicy, Offsets
from plumbing.kafka.steps.abstract import Message
from plumbing.kafka.steps.commit_offsets import CommitOffsets
from tests.unit.plumbing.fakes import ManualClock

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


class Coordinator:
    """Records commits; fails each with the next queued error, if any."""

    def __init__(self, *errors: KafkaError) -> None:
        self.errors = list(errors)
        self.commits: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})


def make(
    coordinator: Coordinator, policy: CommitPolicy = IMMEDIATE
) -> tuple[CommitOffsets, ManualClock, list[Offsets], list[str]]:
    clock = ManualClock()
    lag: list[Offsets] = []
    wakes: list[str] = []
    step = CommitOffsets(
        coordinator, policy=policy, wake=lambda: wakes.append("wake"), on_commit=lag.append, clock=clock
    )
    return step, clock, lag, wakes


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_offsets_are_staged_and_committed_when_due_latest_offset_winning() -> None:
    coordinator = Coordinator()
    step, _, lag, wakes = make(coordinator)
    step.submit(Message(None, {P0: 3}))
    step.submit(Message(None, {P0: 7, P1: 2}))
    assert coordinator.commits == [], "submit never commits"
    step.poll()
    await settle()
    step.poll()
    assert coordinator.commits == [{P0: 7, P1: 2}]
    assert lag == [{P0: 7, P1: 2}] and wakes == ["wake"]


async def test_the_policy_throttles_and_join_forces_the_commit() -> None:
    coordinator = Coordinator()
    step, clock, _, _ = make(coordinator, ONCE_PER_SECOND)
    step.submit(Message(None, {P0: 1}))
    step.poll()
    await settle()
    assert coordinator.commits == []
    clock.advance(1.0)
    step.poll()
    await settle()
    step.submit(Message(None, {P0: 2}))
    step.poll()
    assert coordinator.commits == [{P0: 1}]
    step.close()
    await step.join()
    assert coordinator.commits == [{P0: 1}, {P0: 2}]


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        pytest.param(CommitFailedError("rebalanced"), False, id="rejected after rebalance: dropped"),
        pytest.param(KafkaConnectionError("coordinator away"), True, id="failed: staged again"),
    ],
)
async def test_a_failed_commit(error: KafkaError, retried: bool) -> None:
    coordinator = Coordinator(error)
    step, _, lag, _ = make(coordinator)
    step.submit(Message(None, {P0: 5}))
    step.poll()
    await settle()
    step.submit(Message(None, {P1: 9}))
    step.poll()
    await settle()
    step.poll()
    assert coordinator.commits == [{P0: 5, P1: 9} if retried else {P1: 9}]
    assert lag == coordinator.commits


async def test_join_waits_for_the_commit_in_flight() -> None:
    coordinator = Coordinator()
    step, _, _, _ = make(coordinator)
    step.submit(Message(None, {P0: 1}))
    step.poll()
    step.submit(Message(None, {P0: 2}))
    await step.join()
    assert coordinator.commits == [{P0: 1}, {P0: 2}]


async def test_terminate_commits_nothing_more() -> None:
    coordinator = Coordinator()
    step, _, _, _ = make(coordinator)
    step.submit(Message(None, {P0: 1}))
    step.poll()
    step.terminate()
    await settle()
    await step.join()
    assert coordinator.commits == []
