"""`RelayPublisher` on Kafka: scores (and tombstones) to gt.scores.v1, the write-back feed to
gt.activity.matched.v1, keyed by (tenant, rep) and batched per partition."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.kafka.records import Headers, protobuf_headers, record_key
from services.scoring.adapters.kafka_batches import publish_keyed

_SCORE_HEADERS = protobuf_headers(scoring_pb2.RepScore())
_MATCHED_HEADERS = protobuf_headers(scoring_pb2.MatchedActivity())


class KafkaRelayPublisher:
    """See `RelayPublisher`. Returns once the broker has every record; raises if it does not."""

    def __init__(self, producer: AIOKafkaProducer, *, scores_topic: str, matched_topic: str) -> None:
        self._producer = producer
        self._scores_topic = scores_topic
        self._matched_topic = matched_topic

    async def publish_scores(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        await self._publish(self._scores_topic, records, _SCORE_HEADERS)

    async def publish_tombstones(self, reps: Sequence[tuple[str, str]]) -> None:
        # A tombstone has no value for a content-type header to describe.
        await self._publish(self._scores_topic, [(t, r, None) for t, r in reps], ())

    async def publish_matched(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        await self._publish(self._matched_topic, records, _MATCHED_HEADERS)

    async def _publish(
        self, topic: str, records: Sequence[tuple[str, str, bytes | None]], headers: Headers
    ) -> None:
        await publish_keyed(
            self._producer,
            topic,
            [(record_key(tenant, rep), value) for tenant, rep, value in records],
            headers,
        )
