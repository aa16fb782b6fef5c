"""Backpressure: pause the member's partitions while the pipeline refuses records, resume after.

The driver never sleeps to push back. While the pipeline refuses a record (`MessageRejected`), the
driver holds it and stops taking new records from the client; aiokafka keeps heartbeating in the
background, so a short wait (one batch in flight) costs nothing. If the refusal lasts
`pause_after_sec`, every assigned partition is paused: the driver can then keep calling `getmany`,
which returns nothing for paused partitions but tells the group the member is alive (aiokafka leaves
the group after `max_poll_interval_ms` without one) and keeps rebalances flowing. Not pausing at
once is deliberate: pausing discards what the client prefetched for those partitions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from aiokafka import TopicPartition

from plumbing.kafka.metrics import ConsumerMetrics

_log = logging.getLogger(__name__)


class Pausable(Protocol):
    """The pause controls of a group member (`AIOKafkaConsumer`)."""

    def assignment(self) -> set[TopicPartition]: ...

    def pause(self, *partitions: TopicPartition) -> None: ...

    def resume(self, *partitions: TopicPartition) -> None: ...

    def paused(self) -> set[TopicPartition]: ...


class Backpressure:
    """Tracks how long the pipeline has refused records; pauses and resumes the partitions.

    Called only by the driver, from the event loop. Never blocks, never raises for partitions the
    member no longer owns (a rebalance unpauses by handing out fresh partition states).
    """

    def __init__(
        self,
        consumer: Pausable,
        *,
        pause_after_sec: float,
        metrics: ConsumerMetrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._consumer = consumer
        self._pause_after = pause_after_sec
        self._metrics = metrics
        self._clock = clock
        self._refused_since: float | None = None
        self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def refused(self) -> None:
        """The pipeline refused a record; pause every assigned partition once this lasted long enough."""
        now = self._clock()
        if self._refused_since is None:
            self._refused_since = now
        if not self._paused and now - self._refused_since >= self._pause_after:
            self._consumer.pause(*self._consumer.assignment())
            self._paused = True
            self._metrics.paused(True)
            _log.info("pipeline saturated: partitions paused", extra={"after_sec": now - self._refused_since})

    def accepted(self) -> None:
        """The pipeline took every held record; resume what is paused."""
        self._refused_since = None
        if self._paused:
            self._consumer.resume(*self._consumer.paused())
            self._paused = False
            self._metrics.paused(False)
            _log.info("pipeline accepting again: partitions resumed")

    def forget(self) -> None:
        """The partitions were revoked: their pause went with them."""
        self._refused_since = None
        if self._paused:
            self._paused = False
            self._metrics.paused(False)
