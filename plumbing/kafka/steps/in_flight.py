"""At most one piece of background work per step, its result forwarded in order: the shape shared by
the steps that wait on I/O (`RunBatch`, `RouteDeadLetters`)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

from plumbing.kafka.steps.abstract import (
    Message,
    MessageRejected,
    Offsets,
    ProcessingStep,
    Wake,
    forward_when_accepted,
)

TResult = TypeVar("TResult")


class InFlight(Generic[TResult]):
    """One task at a time; its result goes to `next_step` with the offsets of the work's input.

    A step raises `MessageRejected` while `busy`, which keeps its input in order and pushes back on
    the steps before it. The task wakes the driver when it finishes.
    """

    def __init__(self, next_step: ProcessingStep[TResult], wake: Wake) -> None:
        self._next = next_step
        self._wake = wake
        self._task: asyncio.Task[TResult] | None = None
        self._offsets: Offsets = {}
        # Finished, but the next step did not take it yet.
        self._result: Message[TResult] | None = None

    @property
    def busy(self) -> bool:
        """True while work runs or its result waits for the next step."""
        return self._task is not None or self._result is not None

    def start(self, work: Coroutine[Any, Any, TResult], offsets: Offsets) -> None:
        """Run `work` as a task. Never blocks; raises `MessageRejected` (closing `work`) when busy."""
        if self.busy:
            work.close()
            raise MessageRejected()
        self._task = asyncio.create_task(work)
        self._task.add_done_callback(lambda _: self._wake())
        self._offsets = offsets

    def forward(self) -> None:
        """Hand a finished result to the next step if it takes it. Never blocks.

        Raises what the work raised; the step's caller treats that as fatal.
        """
        if self._task is not None and self._task.done():
            task, self._task = self._task, None
            self._result = Message(task.result(), self._offsets)
        if self._result is not None:
            try:
                self._next.submit(self._result)
            except MessageRejected:
                return
            self._result = None

    async def join(self) -> None:
        """Wait for the work, then for the next step to take its result. Raises what the work raised."""
        if self._task is not None:
            task, self._task = self._task, None
            self._result = Message(await task, self._offsets)
        if self._result is not None:
            result, self._result = self._result, None
            await forward_when_accepted(self._next, result)

    def terminate(self) -> None:
        """Cancel the work and forget its result."""
        if self._task is not None:
            self._task.cancel()
        self._task = None
        self._result = None
