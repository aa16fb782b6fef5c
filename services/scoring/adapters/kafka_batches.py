"""Publishing many keyed records at once through plumbing's keyed batch publisher.

Keys go to the partition Kafka's default partitioner picks (murmur2 of the key), so a rep's records
stay ordered on one partition exactly as with `producer.send(key=...)`.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from plumbing.kafka.publisher import KeyedBatchPublisher
from plumbing.kafka.records import Headers


async def publish_keyed(
    producer: AIOKafkaProducer,
    topic: str,
    records: Sequence[tuple[bytes, bytes | None]],
    headers: Headers = (),
) -> None:
    """Send `(key, value)` records (None values are tombstones) and wait until the broker has them all."""
    await KeyedBatchPublisher(producer).publish(topic, records, headers)
