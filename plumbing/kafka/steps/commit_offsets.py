"""Step, always the last: stage offsets of finished messages, commit them under a `CommitPolicy`."""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable
from typing import Protocol

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import OffsetAndMetadata

from plumbing.kafka.commit import CommitPolicy, Offsets
from plumbing.kafka.steps.abstract import Message, Wake

_log = logging.getLogger(__name__)


class Committer(Protocol):
    """The group member's offset commit (`AIOKafkaConsumer.commit`)."""

    async def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None: ...


class _Outcome(enum.Enum):
    COMMITTED = enum.auto()
    REJECTED = enum.auto()  # the partitions moved to another member
    FAILED = enum.auto()  # the coordinator did not answer; worth another try


class CommitOffsets:
    """Owns the commit: the only step that commits, and only offsets handed to it.

    A message reaches this step only after every step before it finished with it (the handler's
    transaction committed, its dead letters are stored), so every offset staged here is safe to
    commit; offsets are the *next* record to read. `poll` starts a commit when `policy` says so, as
    a task (one at a time, never blocking the driver); `join` waits for it and then commits whatever
    is staged regardless of the policy (the forced commit on revocation and shutdown).

    A commit rejected after a rebalance is dropped: the new owner reads those records again and the
    idempotent handler makes that harmless. A commit that failed otherwise is staged again under the
    newer offsets and retried at the next due commit; on `join` it is only logged. `on_commit`
    (lag metrics) gets the committed offsets. Never raises `MessageRejected`.
    """

    def __init__(
        self,
        committer: Committer,
        *,
        policy: CommitPolicy,
        wake: Wake,
        on_commit: Callable[[Offsets], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._committer = committer
        self._wake = wake
        self._on_commit = on_commit
        self._clock = clock
        self._state = policy.start(clock())
        self._staged: dict[TopicPartition, int] = {}
        self._task: asyncio.Task[_Outcome] | None = None
        self._committing: dict[TopicPartition, int] = {}

    def submit(self, message: Message[object]) -> None:
        """Stage the message's offsets (later ones replace earlier ones). Never blocks or rejects."""
        self._staged.update(message.offsets)

    def poll(self) -> None:
        """Settle a finished commit; start the next one if the policy says it is due. Never blocks."""
        if self._task is not None and self._task.done():
            self._settle()
        if self._task is None and self._state.should_commit(self._clock(), self._staged):
            self._start()

    async def join(self) -> None:
        """Wait for a commit in flight, then commit what is staged (forced). Blocks on the broker."""
        if self._task is not None:
            await asyncio.wait({self._task})
            self._settle(retry_failed=False)
        if self._staged:
            await asyncio.wait({self._start()})
            self._settle(retry_failed=False)

    def close(self) -> None:
        return None

    def terminate(self) -> None:
        """Cancel a commit in flight and forget what is staged: those records will be read again."""
        if self._task is not None:
            self._task.cancel()
        self._task = None
        self._staged = {}

    def _start(self) -> asyncio.Task[_Outcome]:
        self._committing, self._staged = self._staged, {}
        task = self._task = asyncio.create_task(self._commit(self._committing))
        task.add_done_callback(lambda _: self._wake())
        return task

    def _settle(self, *, retry_failed: bool = True) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        outcome = task.result()
        if outcome is _Outcome.COMMITTED:
            self._state = self._state.after_commit(self._clock(), self._committing)
            self._on_commit(self._committing)
        elif outcome is _Outcome.FAILED and retry_failed:
            self._staged = {**self._committing, **self._staged}
        self._committing = {}

    async def _commit(self, offsets: dict[TopicPartition, int]) -> _Outcome:
        try:
            await self._committer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
        except (CommitFailedError, IllegalStateError) as exc:
            _log.warning("offset commit rejected after rebalance", extra={"error": repr(exc)})
            return _Outcome.REJECTED
        except KafkaError as exc:
            _log.warning("offset commit failed; retrying at the next commit", extra={"error": repr(exc)})
            return _Outcome.FAILED
        return _Outcome.COMMITTED
