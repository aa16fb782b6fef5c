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
    `UpstreamUnavailable` otherwise; the caller owns the producer's lifecycle.

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
            deliveries = [
                await self._producer.send(
                    self._topic,
                    key=record_key(event.tenant_id, event.rep_id),
                    value=event.SerializeToString(),
                    headers=self._headers,
                )
                for event in events
            ]
            await asyncio.wait_for(asyncio.gather(*deliveries), timeout=self._timeout_sec)
        except (KafkaError, TimeoutError) as exc:
            raise UpstreamUnavailable(f"the broker did not acknowledge the events: {exc!r}") from exc
        PUBLISHED.inc(len(events))
