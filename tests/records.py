"""Kafka records built in memory, for unit tests of decoders and the consumer loop."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord

from plumbing.kafka.records import Headers


def record(
    value: bytes | None,
    *,
    topic: str = "gt.activity.captured.v1",
    partition: int = 0,
    offset: int = 0,
    key: bytes | None = b"acme:rep-1",
    headers: Headers = (),
) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key or b""),
        serialized_value_size=len(value or b""),
        headers=tuple(headers),
    )
