"""Step: gather messages into a batch, closed by size or by time."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from aiokafka import TopicPartition

from plumbing.kafka.steps.abstract import Message, MessageRejected, ProcessingStep, forward_when_accepted

TItem = TypeVar("TItem")


class BatchBySizeOrTime(Generic[TItem]):
    """Collects payloads into one list until it holds `max_batch_size` or `max_batch_time_sec` passed
    since its first message; then hands the list on with the merged (latest) offsets.

    When the next step is busy the batch is due but not handed on: it keeps filling up to
    `max_batch_size`, so a slow handler gets larger batches instead of more of them. A full batch
    that the next step still refuses makes `submit` raise `MessageRejected`: the backpressure signal
    that reaches the driver. `clock` is injectable (monotonic seconds) for tests.
    """

    def __init__(
        self,
        next_step: ProcessingStep[list[TItem]],
        *,
        max_batch_size: int,
        max_batch_time_sec: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        self._next = next_step
        self._max_size = max_batch_size
        self._max_time = max_batch_time_sec
        self._clock = clock
        self._items: list[TItem] = []
        self._offsets: dict[TopicPartition, int] = {}
        self._deadline = 0.0

    def submit(self, message: Message[TItem]) -> None:
        """Add one message; raises `MessageRejected` only while a full batch waits for the next step."""
        if len(self._items) >= self._max_size:
            self._hand_on()
        if not self._items:
            self._deadline = self._clock() + self._max_time
        self._items.append(message.payload)
        self._offsets.update(message.offsets)
        if len(self._items) >= self._max_size:
            self._try_hand_on()

    def poll(self) -> None:
        """Poll the next step first (it may free up), then hand on a batch that is full or due."""
        self._next.poll()
        if self._items and (len(self._items) >= self._max_size or self._clock() >= self._deadline):
            self._try_hand_on()

    async def join(self) -> None:
        """Hand on whatever is gathered, waiting for the next step to take it, then join it."""
        if self._items:
            batch = Message(self._items, dict(self._offsets))
            self._items, self._offsets = [], {}
            await forward_when_accepted(self._next, batch)
        await self._next.join()

    def close(self) -> None:
        self._next.close()

    def terminate(self) -> None:
        self._items, self._offsets = [], {}
        self._next.terminate()

    def _try_hand_on(self) -> None:
        with contextlib.suppress(MessageRejected):
            self._hand_on()

    def _hand_on(self) -> None:
        self._next.submit(Message(self._items, dict(self._offsets)))
        self._items, self._offsets = [], {}
