"""The one interface every consumer step implements, and the message that flows between steps.

A pipeline is a chain of steps, each wrapping the next; the driver (`StreamProcessor`) submits the
fetched records to the first one and polls it. Modelled on arroyo's `ProcessingStrategy`, on asyncio:
`submit` and `poll` never block (a step that does I/O runs it as a task and reports completion
through `Wake`), only `join` waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Generic, NamedTuple, Protocol, TypeVar

from aiokafka import TopicPartition

TPayload = TypeVar("TPayload")
TPayload_co = TypeVar("TPayload_co", covariant=True)
TPayload_contra = TypeVar("TPayload_contra", contravariant=True)
# Called by a step when work it runs in the background finished, so the driver polls at once.
Wake = Callable[[], None]
Offsets = Mapping[TopicPartition, int]

# How often `forward_when_accepted` retries while the next step is busy (only during `join`).
_JOIN_RETRY_SEC = 0.005


class Message(NamedTuple, Generic[TPayload_co]):
    """A payload and the offsets that become committable once its effects are durable.

    `offsets` holds, per partition, the offset of the *next* record to read (last offset + 1), which
    is what Kafka expects as a committed offset. A step that combines messages merges their offsets;
    a step that drops a message still passes its offsets on, or the partition could never commit.
    (A named tuple rather than a frozen dataclass: one is made per record, and tuples are cheaper.)
    """

    payload: TPayload_co
    offsets: Offsets


class MessageRejected(Exception):
    """Raised by `submit` when a step cannot take a message now: backpressure, not a failure.

    The caller keeps the message, polls, and submits the same message again later.
    """


class ProcessingStep(Protocol[TPayload_contra]):
    """One step of a consumer pipeline. Called only by the previous step or the driver, one call at
    a time, from the event loop's thread.

    Ownership of commit: no step commits except the last one (`CommitOffsets`), and only offsets
    whose messages went through every step before it; the other steps pass `Message.offsets` on.
    """

    def submit(self, message: Message[TPayload_contra]) -> None:
        """Hand over one message; called in offset order per partition, never after `close`.

        Never blocks: work that waits (the database, the broker) runs as a task. Raises
        `MessageRejected` when the step is saturated; the caller then keeps the message, polls, and
        submits it again. May raise `MessageRejected` only before it took any effect of the message.
        """
        ...

    def poll(self) -> None:
        """Move finished work on: forward results, flush what is due, start a due commit.

        Called by the driver on every loop iteration, also when nothing was fetched; each step polls
        the next. Never blocks. Raises when background work failed in a way the step cannot handle;
        the consumer then stops (and the process restarts) without committing that work.
        """
        ...

    async def join(self) -> None:
        """Finish every accepted message, forward it, and let the next step finish too.

        Called once, after `close`, when partitions are revoked and on shutdown; the driver bounds
        it with a timeout and calls `terminate` if it expires. Blocks until done; the last step
        commits what is staged, whatever its policy says (a forced commit).
        """
        ...

    def close(self) -> None:
        """No `submit` follows. Called once, before `join`; passes the call on to the next step."""
        ...

    def terminate(self) -> None:
        """Abandon all work now: cancel tasks, commit nothing more. Never blocks, never raises.

        Called when `join` timed out or the consumer stops on an error. Records whose offsets were
        not committed are read again by whoever owns their partitions next (at-least-once).
        """
        ...


async def forward_when_accepted(step: ProcessingStep[TPayload], message: Message[TPayload]) -> None:
    """Submit `message`, polling `step` until it accepts it. Only for `join`, which may wait."""
    while True:
        try:
            step.submit(message)
            return
        except MessageRejected:
            step.poll()
            await asyncio.sleep(_JOIN_RETRY_SEC)
