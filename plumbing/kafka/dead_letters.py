"""Poison records go to the dead-letter topic with the reason in headers, never blocking a partition."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

_log = logging.getLogger(__name__)


class InvalidMessage(Exception):
    """Raised by a decoder when a record can never be processed (undecodable or invalid)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DeadLetter:
    record: ConsumerRecord[bytes, bytes]
    reason: str


class DeadLetterPublisher:
    """Copies poison records to the dead-letter topic and waits until the broker has them.

    `publish` may block on the broker; it raises if the broker does not acknowledge, in which case the
    caller must not commit the original offsets.
    """

    def __init__(self, producer: AIOKafkaProducer, *, topic: str, consumer_group: str) -> None:
        self._producer = producer
        self._topic = topic
        self._group = consumer_group

    async def publish(self, letters: list[DeadLetter]) -> None:
        futures = []
        for letter in letters:
            record = letter.record
            headers = [
                *list(record.headers or ()),
                ("dlq.original.topic", record.topic.encode()),
                ("dlq.original.partition", str(record.partition).encode()),
                ("dlq.original.offset", str(record.offset).encode()),
                ("dlq.consumer.group", self._group.encode()),
                ("dlq.error", letter.reason[:1000].encode()),
            ]
            _log.warning(
                "dead-lettering record",
                extra={
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "reason": letter.reason,
                },
            )
            futures.append(
                await self._producer.send(self._topic, key=record.key, value=record.value, headers=headers)
            )
        for future in futures:
            await future
