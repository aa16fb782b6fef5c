"""`CommitPolicy` and its explicit state: when staged offsets are due, as a pure function."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from plumbing.kafka.commit import IMMEDIATE, ONCE_PER_SECOND, CommitPolicy, Offsets

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


@pytest.mark.parametrize(
    ("policy", "committed", "elapsed_sec", "staged", "due"),
    [
        pytest.param(IMMEDIATE, {}, 0.0, {P0: 1}, True, id="immediate: anything staged"),
        pytest.param(IMMEDIATE, {P0: 5}, 0.0, {}, False, id="immediate: nothing staged"),
        pytest.param(IMMEDIATE, {P0: 5}, 0.0, {P0: 5}, False, id="immediate: nothing new since the commit"),
        pytest.param(ONCE_PER_SECOND, {}, 0.5, {P0: 900}, False, id="per second: too soon"),
        pytest.param(ONCE_PER_SECOND, {}, 1.0, {P0: 1}, True, id="per second: a second passed"),
        pytest.param(ONCE_PER_SECOND, {}, 5.0, {}, False, id="per second: nothing staged"),
        pytest.param(
            CommitPolicy(min_interval_sec=None, min_records=100),
            {P0: 10, P1: 10},
            0.0,
            {P0: 60, P1: 59},
            False,
            id="records: 99 of 100 across partitions",
        ),
        pytest.param(
            CommitPolicy(min_interval_sec=None, min_records=100),
            {P0: 10, P1: 10},
            0.0,
            {P0: 60, P1: 60},
            True,
            id="records: 100 of 100 across partitions",
        ),
        pytest.param(
            CommitPolicy(min_interval_sec=None, min_records=2),
            {},
            0.0,
            {P0: 50},
            False,
            id="records: a partition never committed counts as one",
        ),
        pytest.param(
            CommitPolicy(min_interval_sec=10.0, min_records=3),
            {P0: 0},
            0.1,
            {P0: 3},
            True,
            id="either trigger: records first",
        ),
        pytest.param(
            CommitPolicy(min_interval_sec=10.0, min_records=1000),
            {P0: 0},
            10.0,
            {P0: 3},
            True,
            id="either trigger: time first",
        ),
    ],
)
def test_should_commit(
    policy: CommitPolicy, committed: Offsets, elapsed_sec: float, staged: Offsets, due: bool
) -> None:
    state = policy.start(0.0).after_commit(0.0, committed)
    assert state.should_commit(elapsed_sec, staged) is due


def test_a_commit_restarts_the_interval_and_remembers_the_offsets() -> None:
    state = ONCE_PER_SECOND.start(0.0)
    assert state.should_commit(1.5, {P0: 10})
    after = state.after_commit(1.5, {P0: 10})
    assert not after.should_commit(2.0, {P0: 20})
    assert after.should_commit(2.5, {P0: 20})
    assert after.committed == {P0: 10}
    assert state.committed == {}, "states are values: the old one is unchanged"


@pytest.mark.parametrize(
    ("interval", "records"),
    [
        pytest.param(None, None, id="no trigger at all"),
        pytest.param(-1.0, None, id="negative interval"),
        pytest.param(None, 0, id="zero records"),
    ],
)
def test_invalid_policies_are_refused(interval: float | None, records: int | None) -> None:
    with pytest.raises(ValueError):
        CommitPolicy(min_interval_sec=interval, min_records=records)
