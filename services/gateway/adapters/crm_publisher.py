"""Publishes CRM events to gt.crm.events.v1 and waits for the broker's acknowledgement."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import Counter

from groundtruth.crm.v1 import crm_pb2
from plumbing.kafka.records import protobuf_headers, record_key
from services.gateway.errors import UpstreamUnavailable

PUBLISHED = Counter("gt_gateway_crm_events_published_total", "CRM events acknowledged by the broker")


class CrmEventPublisher:
    """`publish` returns only once the broker has every event (acks=all) and raises
    `UpstreamUnavailable` otherwise, within `timeout_sec` whatever the broker does (a dead broker
    blocks aiokafka's `send` itself while it waits for metadata); the caller owns the producer.

    A refused batch may still reach the topic later (records already handed to the producer are
    retried by it); that is safe: event ids are derived from the content, so the client's retry
    carries the same ids and scoring applies each event once.

    Keys are `tenant:rep`, or `tenant:` for events without a rep (tenant configuration, records
    without an owner), so one rep's events stay ordered on one partition.
    """

    def __init__(self, producer: AIOKafkaProducer, *, topic: str, timeout_sec: float = 30.0) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout_sec = timeout_sec
        self._headers = protobuf_headers(crm_pb2.CrmEvent())

    async def publish(self, events: Sequence[crm_pb2.CrmEvent]) -> None:
        if not events:
            return
        try:
            async with asyncio.timeout(self._timeout_sec):
                deliveries = [
                    await self._producer.send(
                        self._topic,
                        key=record_key(event.tenant_id, event.rep_id),
                        value=event.SerializeToString(),
                        headers=self._headers,
                    )
                    for event in events
                ]
                await asyncio.gather(*deliveries)
        except (KafkaError, TimeoutError) as exc:
            raise UpstreamUnavailable(f"the broker did not acknowledge the events: {exc!r}") from exc
        PUBLISHED.inc(len(events))
