"""When to commit: a frozen policy and the explicit state it is evaluated against.

Staging and committing are separate: every finished message stages its offsets, the policy decides
when the staged offsets are worth a round trip to the group coordinator. Whatever the policy, the
pipeline commits what is staged when it is joined (partitions revoked, shutdown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aiokafka import TopicPartition

Offsets = Mapping[TopicPartition, int]


@dataclass(frozen=True)
class CommitPolicy:
    """Commit once `min_interval_sec` passed since the last commit, or once at least `min_records`
    records were staged since then, whichever comes first; None switches that trigger off."""

    min_interval_sec: float | None
    min_records: int | None

    def __post_init__(self) -> None:
        if self.min_interval_sec is None and self.min_records is None:
            raise ValueError("a commit policy needs an interval, a record count, or both")
        if self.min_interval_sec is not None and self.min_interval_sec < 0:
            raise ValueError("min_interval_sec must not be negative")
        if self.min_records is not None and self.min_records < 1:
            raise ValueError("min_records must be at least 1")

    def start(self, now: float) -> CommitPolicyState:
        """The state of a pipeline created at `now` (monotonic seconds) that committed nothing yet."""
        return CommitPolicyState(self, last_commit_at=now)


# Commit after every batch.
IMMEDIATE = CommitPolicy(min_interval_sec=None, min_records=1)
# At most one commit round trip per second; a crash re-delivers at most about a second of records.
ONCE_PER_SECOND = CommitPolicy(min_interval_sec=1.0, min_records=None)


@dataclass(frozen=True)
class CommitPolicyState:
    """What the policy is evaluated against: the last commit's time and offsets. Immutable: a commit
    yields the next state (`after_commit`), so the decision is a pure function of its inputs."""

    policy: CommitPolicy
    last_commit_at: float
    committed: Offsets = field(default_factory=dict)

    def should_commit(self, now: float, staged: Offsets) -> bool:
        """True when `staged` (next offsets per partition) is due for a commit at `now`. Pure.

        Records since the last commit are counted from the offsets; a partition not committed
        before counts as one record (its earlier offsets are unknown).
        """
        if not staged:
            return False
        policy = self.policy
        if policy.min_interval_sec is not None and now - self.last_commit_at >= policy.min_interval_sec:
            return True
        if policy.min_records is not None:
            records = sum(
                max(0, offset - self.committed.get(partition, offset - 1))
                for partition, offset in staged.items()
            )
            return records >= policy.min_records
        return False

    def after_commit(self, now: float, committed: Offsets) -> CommitPolicyState:
        """The state once `committed` was committed at `now`. Pure."""
        return CommitPolicyState(self.policy, last_commit_at=now, committed={**self.committed, **committed})
