"""Reading what the gateway published, from the real broker."""

from __future__ import annotations

from aiokafka.structs import ConsumerRecord

from groundtruth.crm.v1 import crm_pb2
from tests.kafka_topics import read_topic


async def crm_records(bootstrap_servers: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on the topic so far (reads from the start until the end offsets)."""
    return await read_topic(bootstrap_servers, topic)


async def crm_events(bootstrap_servers: str, topic: str) -> list[tuple[bytes, crm_pb2.CrmEvent]]:
    return [
        (record.key or b"", crm_pb2.CrmEvent.FromString(record.value or b""))
        for record in await crm_records(bootstrap_servers, topic)
    ]
