"""Publishes activities to gt.activity.captured.v1 and waits for the broker's acknowledgement."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from groundtruth.activity.v1 import activity_pb2
from plumbing.kafka.records import protobuf_headers, record_key

PUBLISHED = Counter("gt_capture_activities_published_total", "Activities acknowledged by the broker")


class KafkaActivityPublisher:
    """`ActivityPublisher` over a started producer (the caller owns its lifecycle)."""

    def __init__(self, producer: AIOKafkaProducer, *, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def publish(self, activities: Sequence[activity_pb2.Activity]) -> None:
        if not activities:
            return
        headers = protobuf_headers(activity_pb2.Activity())
        deliveries = [
            await self._producer.send(
                self._topic,
                key=record_key(activity.tenant_id, activity.rep_id),
                value=activity.SerializeToString(),
                headers=headers,
            )
            for activity in activities
        ]
        await asyncio.gather(*deliveries)
        PUBLISHED.inc(len(activities))
