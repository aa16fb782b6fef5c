"""Publishes activities to gt.activity.captured.v1 and waits for the broker's acknowledgement."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import Counter

from groundtruth.activity.v1 import activity_pb2
from plumbing.kafka.records import protobuf_headers, record_key
from services.capture.ports import PublishFailed

PUBLISHED = Counter("gt_capture_activities_published_total", "Activities acknowledged by the broker")


class KafkaActivityPublisher:
    """`ActivityPublisher` over a started producer (the caller owns its lifecycle).

    Records are appended to one batch per partition and sent with `send_batch`: a page of one
    mailbox shares one key (tenant:rep), so it usually travels as a single batch, which costs far
    less per record than a `send()` each. The partition is chosen exactly as `send()` would choose
    it, so per-rep ordering is the same whichever path a record takes.
    """

    def __init__(self, producer: AIOKafkaProducer, *, topic: str) -> None:
        self._producer = producer
        self._topic = topic
        self._headers = protobuf_headers(activity_pb2.Activity())

    async def publish(self, activities: Sequence[activity_pb2.Activity]) -> None:
        """Returns once the broker acknowledged every record; `PublishFailed` when it did not."""
        try:
            await self._publish(activities)
        except (KafkaError, OSError, TimeoutError) as exc:
            raise PublishFailed(f"the broker did not acknowledge the activities: {exc!r}") from exc

    async def _publish(self, activities: Sequence[activity_pb2.Activity]) -> None:
        if not activities:
            return
        await self._producer.partitions_for(self._topic)  # metadata for the partitioner
        by_partition: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        partitions: dict[tuple[str, str], tuple[bytes, int]] = {}  # a page is usually one rep
        for activity in activities:
            owner = (activity.tenant_id, activity.rep_id)
            found = partitions.get(owner)
            if found is None:
                key = record_key(*owner)
                # aiokafka's own choice for this key (the path `send()` takes).
                found = partitions[owner] = (
                    key,
                    self._producer._partition(self._topic, None, None, None, key, None),
                )
            key, partition = found
            by_partition[partition].append((key, activity.SerializeToString()))
        deliveries: list[Awaitable[object]] = []
        for partition, records in by_partition.items():
            batch = self._producer.create_batch()
            for key, value in records:
                if batch.append(key=key, value=value, timestamp=None, headers=self._headers) is None:
                    deliveries.append(
                        await self._producer.send_batch(batch, self._topic, partition=partition)
                    )
                    batch = self._producer.create_batch()
                    if batch.append(key=key, value=value, timestamp=None, headers=self._headers) is None:
                        raise ValueError("an activity does not fit in an empty batch")
            deliveries.append(await self._producer.send_batch(batch, self._topic, partition=partition))
        await asyncio.gather(*deliveries)
        PUBLISHED.inc(len(activities))
