"""Publishes activities to gt.activity.captured.v1 and waits for the broker's acknowledgement."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import Counter

from groundtruth.activity.v1 import activity_pb2
from plumbing.kafka.publisher import KeyedBatchPublisher
from plumbing.kafka.records import protobuf_headers, record_key
from services.capture.ports import PublishFailed

PUBLISHED = Counter("gt_capture_activities_published_total", "Activities acknowledged by the broker")


class KafkaActivityPublisher:
    """`ActivityPublisher` over a started producer (the caller owns its lifecycle).

    Records are keyed tenant:rep and sent one producer batch per partition (a page of one mailbox
    usually travels as a single batch); `publish` returns once the broker has acknowledged them all.
    """

    def __init__(self, producer: AIOKafkaProducer, *, topic: str) -> None:
        self._publisher = KeyedBatchPublisher(producer)
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
        records = [(record_key(a.tenant_id, a.rep_id), a.SerializeToString()) for a in activities]
        await self._publisher.publish(self._topic, records, self._headers)
        PUBLISHED.inc(len(activities))
