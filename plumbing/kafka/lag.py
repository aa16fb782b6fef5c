"""Lag after each commit: how far the group's committed position trails each partition's end."""

from __future__ import annotations

from typing import Protocol

from aiokafka import TopicPartition

from plumbing.kafka.commit import Offsets
from plumbing.kafka.metrics import ConsumerMetrics


class Watermarks(Protocol):
    """What the member knows of its partitions (`AIOKafkaConsumer`)."""

    def assignment(self) -> set[TopicPartition]: ...

    def highwater(self, partition: TopicPartition) -> int | None: ...


class LagGauge:
    """Sets `gt_consumer_lag_records` (high watermark minus committed offset) per committed partition.

    Called by `CommitOffsets` after each successful commit. Never blocks, never raises: partitions
    no longer assigned, or whose high watermark is not known yet (no fetch answered), are skipped.
    """

    def __init__(self, consumer: Watermarks, metrics: ConsumerMetrics) -> None:
        self._consumer = consumer
        self._metrics = metrics

    def record(self, committed: Offsets) -> None:
        assigned = self._consumer.assignment()
        for partition, offset in committed.items():
            if partition not in assigned:
                continue
            highwater = self._consumer.highwater(partition)
            if highwater is not None:
                self._metrics.lag(partition, max(0, highwater - offset))
