"""Reading what the gateway published, from the real broker."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from groundtruth.crm.v1 import crm_pb2


async def crm_records(bootstrap_servers: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on the topic so far (reads from the start until the end offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        metadata = await consumer._client.fetch_all_metadata()
        partitions = [TopicPartition(topic, p) for p in sorted(metadata.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < end for tp, end in ends.items()])

        while await behind():
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def crm_events(bootstrap_servers: str, topic: str) -> list[tuple[bytes, crm_pb2.CrmEvent]]:
    return [
        (record.key or b"", crm_pb2.CrmEvent.FromString(record.value or b""))
        for record in await crm_records(bootstrap_servers, topic)
    ]
