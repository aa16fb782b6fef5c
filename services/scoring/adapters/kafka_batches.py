"""Publishing many keyed records at once: one producer batch per partition instead of one send each.

Keys go to the partition Kafka's default partitioner picks (murmur2 of the key), so a rep's records
stay ordered on one partition exactly as with `producer.send(key=...)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from plumbing.kafka.records import Headers

_PARTITIONER = DefaultPartitioner()


async def publish_keyed(
    producer: AIOKafkaProducer,
    topic: str,
    records: Sequence[tuple[bytes, bytes | None]],
    headers: Headers = (),
) -> None:
    """Send `(key, value)` records (None values are tombstones) and wait until the broker has them all."""
    if not records:
        return
    partitions = sorted(await producer.partitions_for(topic))
    by_partition: dict[int, list[tuple[bytes, bytes | None]]] = {}
    for key, value in records:
        partition = _PARTITIONER(key, partitions, partitions)
        by_partition.setdefault(partition, []).append((key, value))
    deliveries = []
    for partition, items in by_partition.items():
        batch = producer.create_batch()
        for key, value in items:
            if batch.append(key=key, value=value, timestamp=None, headers=list(headers)) is None:
                batch.close()
                deliveries.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None, headers=list(headers)) is None:
                    raise ValueError("a record does not fit in an empty batch")
        batch.close()
        deliveries.append(await producer.send_batch(batch, topic, partition=partition))
    await asyncio.gather(*deliveries)
