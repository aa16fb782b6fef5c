"""Step: apply each batch with the service's handler; retry transient failures, split the others."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from plumbing.kafka.dead_letters import DeadLetter
from plumbing.kafka.metrics import ConsumerMetrics
from plumbing.kafka.retry import Health, NotTransient, RetryPolicy, retry_transient
from plumbing.kafka.steps.abstract import Message, MessageRejected, ProcessingStep, Wake
from plumbing.kafka.steps.decode import Decoded, Outcome
from plumbing.kafka.steps.in_flight import InFlight

TValue = TypeVar("TValue")
# The service's handler: one database transaction per call, returning once it committed.
Handler = Callable[[Sequence[TValue]], Awaitable[None]]


class RunBatch(Generic[TValue]):
    """Applies one batch at a time, in order, and hands on the batch's dead letters.

    For each batch the handler gets the decoded values in record order. A transient failure
    (`retry.is_transient`) retries the whole batch with backoff, forever, dead-lettering nothing.
    Any other failure narrows the batch down: each value is applied alone (with the same retries),
    and only the records that fail alone become dead letters. The result handed on is the batch's
    poison records followed by those, with the batch's offsets; nothing is committed here.

    Raises `MessageRejected` while a batch is in flight or its result waits for the next step. The
    handler runs as a task: `submit` and `poll` never block, the backoff sleeps only that task.
    """

    def __init__(
        self,
        next_step: ProcessingStep[list[DeadLetter]],
        *,
        handler: Handler[TValue],
        retry: RetryPolicy,
        health: Health,
        metrics: ConsumerMetrics,
        wake: Wake,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._next = next_step
        self._handler = handler
        self._retry = retry
        self._health = health
        self._metrics = metrics
        self._clock = clock
        self._in_flight: InFlight[list[DeadLetter]] = InFlight(next_step, wake)

    def submit(self, message: Message[list[Outcome[TValue]]]) -> None:
        """Start applying the batch; raises `MessageRejected` while the previous one is not through."""
        if self._in_flight.busy:
            raise MessageRejected()
        self._in_flight.start(self._apply(message.payload), message.offsets)

    def poll(self) -> None:
        """Poll the next step, then hand it a finished batch's result. Raises the handler's bug."""
        self._next.poll()
        self._in_flight.forward()

    async def join(self) -> None:
        await self._in_flight.join()
        await self._next.join()

    def close(self) -> None:
        self._next.close()

    def terminate(self) -> None:
        self._in_flight.terminate()
        self._next.terminate()

    async def _apply(self, batch: list[Outcome[TValue]]) -> list[DeadLetter]:
        started = self._clock()
        decoded = [item for item in batch if isinstance(item, Decoded)]
        poison = [item for item in batch if isinstance(item, DeadLetter)]
        if decoded:
            try:
                await self._with_retry([item.value for item in decoded])
            except NotTransient:
                poison.extend(await self._one_by_one(decoded))
        self._metrics.batch_applied(self._clock() - started)
        return poison

    async def _one_by_one(self, decoded: list[Decoded[TValue]]) -> list[DeadLetter]:
        failed = []
        for item in decoded:
            try:
                await self._with_retry([item.value])
            except NotTransient as exc:
                failed.append(DeadLetter(item.record, f"processing failed: {exc.__cause__!r}"))
        return failed

    async def _with_retry(self, values: list[TValue]) -> None:
        await retry_transient(
            lambda: self._handler(values), self._retry, health=self._health, on_retry=self._metrics.retried
        )
