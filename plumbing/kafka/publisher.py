"""Keyed batch publishing on aiokafka's public API: one producer batch per partition, then wait.

Publishing many records with one `send()` each costs a future, a size estimate and an accumulator
lookup per record; appending them to one `BatchBuilder` per partition and handing each builder to
`send_batch` costs far less. A batch must name its partition, so the publisher picks it the way
`send(key=...)` does: Kafka's default partitioner (murmur2 of the key) over the topic's partitions,
so a key's records land on the same partition whichever path published them, and stay in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from plumbing.kafka.records import Headers

KeyedRecord = tuple[bytes, bytes | None]
# (key, all partitions sorted by id, available partitions) -> partition, as aiokafka's partitioners.
Partitioner = Callable[[bytes, list[int], list[int]], int]


class RecordTooLarge(ValueError):
    """One record (with its headers) does not fit in an empty producer batch; it can never be sent."""


class KeyedBatchPublisher:
    """Publishes keyed records over a started producer; the caller owns the producer's lifecycle.

    `partitioner` must be the one the producer's own `send()` uses; every producer made by
    `plumbing.kafka.producer.create_producer` uses aiokafka's default, which is the default here.
    """

    def __init__(self, producer: AIOKafkaProducer, *, partitioner: Partitioner | None = None) -> None:
        self._producer = producer
        self._partitioner: Partitioner = partitioner or DefaultPartitioner()

    async def publish(self, topic: str, records: Sequence[KeyedRecord], headers: Headers = ()) -> None:
        """Send `(key, value)` records (a None value is a tombstone) with `headers` on each one.

        Called by a service's adapter whenever it publishes; one call at a time or many, as the
        producer allows. Blocks until the broker acknowledged every record (`acks=all` on the
        platform's producers): when it returns they are stored, in order per key. May also block on
        the topic's metadata and on a full accumulator; returns at once for no records. Raises
        `RecordTooLarge` for a record that can never be sent, and the producer's `KafkaError` (e.g.
        `KafkaTimeoutError`, `ProducerClosed`) when the broker does not acknowledge. After a raise,
        some records of the call may be stored and others not: callers retry the whole call and rely
        on idempotent consumers.
        """
        if not records:
            return
        partitions = sorted(await self._producer.partitions_for(topic))
        chosen: dict[bytes, int] = {}  # pure-Python murmur2 is the costly part: once per key
        by_partition: dict[int, list[KeyedRecord]] = {}
        for key, value in records:
            partition = chosen.get(key)
            if partition is None:
                partition = chosen[key] = self._partitioner(key, partitions, partitions)
            by_partition.setdefault(partition, []).append((key, value))
        header_list = list(headers)
        deliveries: list[asyncio.Future[Any]] = []
        try:
            for partition, items in by_partition.items():
                await self._send_partition(topic, partition, items, header_list, deliveries)
        except BaseException:
            for delivery in deliveries:  # nobody will await them: keep their failures out of the log
                delivery.add_done_callback(_retrieve)
            raise
        outcomes = await asyncio.gather(*deliveries, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _send_partition(
        self,
        topic: str,
        partition: int,
        items: list[KeyedRecord],
        headers: list[tuple[str, bytes]],
        deliveries: list[asyncio.Future[Any]],
    ) -> None:
        batch = self._producer.create_batch()
        for key, value in items:
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                batch.close()
                deliveries.append(await self._producer.send_batch(batch, topic, partition=partition))
                batch = self._producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                    raise RecordTooLarge(f"a record of {topic} does not fit in an empty batch")
        batch.close()
        deliveries.append(await self._producer.send_batch(batch, topic, partition=partition))


def _retrieve(delivery: asyncio.Future[Any]) -> None:
    if not delivery.cancelled():
        delivery.exception()
