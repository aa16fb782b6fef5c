"""Step: each record becomes the service's value, or a dead letter with the decoder's reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, NamedTuple, TypeAlias, TypeVar

from plumbing.kafka.dead_letters import DeadLetter, InvalidMessage
from plumbing.kafka.records import Record
from plumbing.kafka.steps.abstract import Message, ProcessingStep

TValue = TypeVar("TValue")


class Decoded(NamedTuple, Generic[TValue]):
    """A record and the value its decoder made of it (one per record, hence a named tuple)."""

    record: Record
    value: TValue


# What flows from `Decode` on: a value to apply, or a poison record to dead-letter, in record order.
Outcome: TypeAlias = "Decoded[TValue] | DeadLetter"


class Decode(Generic[TValue]):
    """Decodes each record with the service's pure `decode` and passes the outcome on.

    `decode` raising `InvalidMessage` turns the record into a `DeadLetter` carrying the reason; it
    still flows on in order, so its offset commits only after the records before it. Any other
    exception from `decode` is a bug and propagates (the consumer stops). Keeps nothing itself: it
    raises `MessageRejected` exactly when the next step does, and the driver submits the same record
    again (decoding is pure, so decoding twice is harmless).
    """

    def __init__(
        self, next_step: ProcessingStep[Outcome[TValue]], decode: Callable[[Record], TValue]
    ) -> None:
        self._next = next_step
        self._decode = decode

    def submit(self, message: Message[Record]) -> None:
        record = message.payload
        outcome: Outcome[TValue]
        try:
            outcome = Decoded(record, self._decode(record))
        except InvalidMessage as exc:
            outcome = DeadLetter(record, exc.reason)
        self._next.submit(Message(outcome, message.offsets))

    def poll(self) -> None:
        self._next.poll()

    async def join(self) -> None:
        await self._next.join()

    def close(self) -> None:
        self._next.close()

    def terminate(self) -> None:
        self._next.terminate()
