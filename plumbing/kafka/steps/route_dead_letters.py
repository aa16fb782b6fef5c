"""Step: dead letters go to the dead-letter topic before their offsets go on to be committed."""

from __future__ import annotations

from plumbing.kafka.dead_letters import DeadLetter, DeadLetterPublisher
from plumbing.kafka.metrics import ConsumerMetrics
from plumbing.kafka.retry import Health, NotTransient, RetryPolicy, retry_transient
from plumbing.kafka.steps.abstract import Message, MessageRejected, ProcessingStep, Wake
from plumbing.kafka.steps.in_flight import InFlight


class RouteDeadLetters:
    """Step: sends each batch's dead letters to the dead-letter topic, then hands on its offsets.

    A batch without dead letters passes straight through. Otherwise the publisher runs as a task
    (the next batch may be applied meanwhile) with the consumer's retry policy for transient
    failures; the offsets go on only once the broker acknowledged every letter, so a poison record's
    offset is never committed before it is stored in the dead-letter topic. A failure that is not
    transient makes `poll` raise: the consumer stops without committing. Raises `MessageRejected`
    while a publication is in flight or its offsets wait for the next step.
    """

    def __init__(
        self,
        next_step: ProcessingStep[None],
        *,
        publisher: DeadLetterPublisher,
        retry: RetryPolicy,
        health: Health,
        metrics: ConsumerMetrics,
        wake: Wake,
    ) -> None:
        self._next = next_step
        self._publisher = publisher
        self._retry = retry
        self._health = health
        self._metrics = metrics
        self._in_flight: InFlight[None] = InFlight(next_step, wake)

    def submit(self, message: Message[list[DeadLetter]]) -> None:
        if self._in_flight.busy:
            raise MessageRejected()
        if not message.payload:
            self._next.submit(Message(None, message.offsets))
            return
        self._in_flight.start(self._publish(message.payload), message.offsets)

    def poll(self) -> None:
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

    async def _publish(self, letters: list[DeadLetter]) -> None:
        try:
            await retry_transient(
                lambda: self._publisher.publish(letters),
                self._retry,
                health=self._health,
                on_retry=self._metrics.retried,
            )
        except NotTransient as exc:
            raise DeadLetteringFailed(f"{len(letters)} dead letters not stored") from exc.__cause__
        self._metrics.dead_lettered(len(letters))


class DeadLetteringFailed(Exception):
    """The dead-letter topic did not take the letters for a reason retrying does not fix."""
