"""The consumer's Prometheus series, bound to one consumer group."""

from __future__ import annotations

from aiokafka import TopicPartition
from prometheus_client import Counter, Gauge, Histogram

RECORDS = Counter("gt_consumer_records_total", "Records fetched", ["group", "topic"])
DEAD_LETTERED = Counter("gt_consumer_dead_lettered_total", "Records sent to the dead-letter topic", ["group"])
BATCHES = Counter("gt_consumer_batches_total", "Batches applied", ["group"])
RETRIES = Counter("gt_consumer_batch_retries_total", "Batch attempts that failed and were retried", ["group"])
BATCH_SECONDS = Histogram("gt_consumer_batch_seconds", "Time to apply one batch", ["group"])
LAG = Gauge(
    "gt_consumer_lag_records", "High watermark minus committed position", ["group", "topic", "partition"]
)
PAUSED = Gauge("gt_consumer_paused", "1 while backpressure keeps the partitions paused", ["group"])


class ConsumerMetrics:
    """Records what the steps observe; every method is cheap and never raises."""

    def __init__(self, group: str) -> None:
        self._group = group
        self._dead_lettered = DEAD_LETTERED.labels(group)
        self._batches = BATCHES.labels(group)
        self._retries = RETRIES.labels(group)
        self._batch_seconds = BATCH_SECONDS.labels(group)
        self._paused = PAUSED.labels(group)

    def fetched(self, topic: str, count: int) -> None:
        RECORDS.labels(self._group, topic).inc(count)

    def dead_lettered(self, count: int) -> None:
        self._dead_lettered.inc(count)

    def batch_applied(self, seconds: float) -> None:
        self._batches.inc()
        self._batch_seconds.observe(seconds)

    def retried(self) -> None:
        self._retries.inc()

    def paused(self, paused: bool) -> None:
        self._paused.set(1 if paused else 0)

    def lag(self, partition: TopicPartition, records: int) -> None:
        LAG.labels(self._group, partition.topic, str(partition.partition)).set(records)
