"""Publishes activities to gt.activity.captured.v1 and waits for the broker's acknowledgement."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import Counter

from groundtruth.activity.v1 import activity_pb2
from plumbing.kafka.publisher import KeyedBatchPublisher
from plumbing.kafka.records import protobuf_headers, record_key
from services.capture.domain.quarantine import Rejected
from services.capture.ports import MailboxRef, PublishFailed

PUBLISHED = Counter("gt_capture_activities_published_total", "Activities acknowledged by the broker")


class KafkaActivityPublisher:
    """`ActivityPublisher` over a started producer (the caller owns its lifecycle).

    Records are keyed tenant:rep and sent one producer batch per partition (a page of one mailbox
    usually travels as a single batch); `publish` returns once the broker has acknowledged them all.
    """

    def __init__(self, producer: AIOKafkaProducer, *, topic: str, dead_letter_topic: str = "") -> None:
        self._publisher = KeyedBatchPublisher(producer)
        self._producer = producer
        self._topic = topic
        self._dead_letters = dead_letter_topic
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

    async def quarantine(self, mailbox: MailboxRef, stream: str, rejected: Sequence[Rejected]) -> None:
        """One dead-letter record per quarantined item: empty value, the provider's ids and the reason
        in headers (`dlq.*` as plumbing's consumers write them). No address, no content."""
        if not rejected or not self._dead_letters:
            return
        try:
            futures = []
            for item in rejected:
                headers = [
                    ("dlq.source", b"capture"),
                    ("dlq.error", item.reason.value.encode()),
                    ("capture.tenant", mailbox.tenant_id.encode()),
                    ("capture.mailbox_id", str(mailbox.mailbox_id).encode()),
                    ("capture.provider", str(mailbox.provider).encode()),
                    ("capture.stream", stream.encode()),
                    ("capture.item_id", item.item_id.encode()),
                ]
                key = record_key(mailbox.tenant_id, mailbox.rep_id)
                futures.append(
                    await self._producer.send(self._dead_letters, key=key, value=b"", headers=headers)
                )
            for future in futures:
                await future
        except (KafkaError, OSError, TimeoutError) as exc:
            raise PublishFailed(f"the broker did not acknowledge the dead letters: {exc!r}") from exc
