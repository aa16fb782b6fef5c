"""The platform's batch consumer: a service's `BatchProcessor` run through the standard pipeline.

Rules it enforces for every consumer in the platform (the package docstring shows how the steps
do it):
- offsets are committed only after `BatchProcessor.process` returns, i.e. after the database commit;
- a record that can never be processed goes to the dead-letter topic and does not block its partition;
- a transient failure (database or broker down) retries the same batch with backoff, forever;
- a non-transient failure is narrowed down by processing the batch one record at a time, so only the
  records that fail on their own are dead-lettered;
- batches are applied and committed strictly in order; while one is being applied, the next one is
  already fetched, decoded (decoding is pure) and gathered, so fetching and decoding overlap the
  database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer

from plumbing.kafka.backpressure import Backpressure
from plumbing.kafka.commit import ONCE_PER_SECOND, CommitPolicy
from plumbing.kafka.dead_letters import DeadLetterPublisher
from plumbing.kafka.lag import LagGauge
from plumbing.kafka.metrics import ConsumerMetrics
from plumbing.kafka.processor import StreamProcessor
from plumbing.kafka.records import Record
from plumbing.kafka.retry import Health, RetryPolicy
from plumbing.kafka.steps.abstract import ProcessingStep, Wake
from plumbing.kafka.steps.batching import BatchBySizeOrTime
from plumbing.kafka.steps.commit_offsets import CommitOffsets
from plumbing.kafka.steps.decode import Decode
from plumbing.kafka.steps.route_dead_letters import RouteDeadLetters
from plumbing.kafka.steps.run_batch import RunBatch

__all__ = ["BatchConsumer", "BatchProcessor", "ConsumerConfig", "Record", "create_consumer"]

TDecoded = TypeVar("TDecoded")


class BatchProcessor(Protocol[TDecoded]):
    """What a consumer does with its records. Owned by the service; driven by `BatchConsumer`."""

    def decode(self, record: Record) -> TDecoded:
        """Turn one record into a value. Pure, never blocks.

        Raises `InvalidMessage` when the record can never be processed; it is then dead-lettered.
        """
        ...

    async def process(self, batch: Sequence[TDecoded]) -> None:
        """Apply the batch's effects in one database transaction; return only after it commits.

        Must be idempotent: after a crash between this commit and the offset commit the same
        records arrive again. Raises on failure; the offsets are then not committed.
        """
        ...


@dataclass(frozen=True)
class ConsumerConfig:
    group_id: str
    topics: tuple[str, ...]
    max_batch_size: int = 2000
    max_batch_time_ms: int = 200
    session_timeout_ms: int = 10_000
    retry_backoff_initial_sec: float = 0.2
    retry_backoff_max_sec: float = 10.0
    # How much the client may prefetch: per partition, and per fetch response across partitions.
    max_partition_fetch_bytes: int = 4 * 1024 * 1024
    fetch_max_bytes: int = 32 * 1024 * 1024
    commit_policy: CommitPolicy = ONCE_PER_SECOND
    # The longest the driver waits for records before polling the pipeline (batch deadlines).
    poll_interval_ms: int = 50
    # How long the pipeline may refuse records before the partitions are paused.
    pause_after_sec: float = 1.0
    # How long a revocation or shutdown waits for the batch in flight and the forced commit.
    join_timeout_sec: float = 20.0


def create_consumer(bootstrap_servers: str, config: ConsumerConfig, *, client_id: str) -> AIOKafkaConsumer:
    """An unstarted consumer with manual commits; `BatchConsumer.run` subscribes it."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=config.group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=config.max_partition_fetch_bytes,
        fetch_max_bytes=config.fetch_max_bytes,
        session_timeout_ms=config.session_timeout_ms,
        heartbeat_interval_ms=max(100, config.session_timeout_ms // 10),
        max_poll_interval_ms=300_000,
    )


class BatchConsumer(Generic[TDecoded]):
    """Runs one consumer-group member until `stop()`; see the module docstring for its rules.

    `consumer` is started and stopped by the caller; `run` subscribes it. `is_transient` tells
    failures worth retrying (the database or broker is away) from the others.
    """

    def __init__(
        self,
        *,
        consumer: AIOKafkaConsumer,
        config: ConsumerConfig,
        processor: BatchProcessor[TDecoded],
        dead_letters: DeadLetterPublisher,
        is_transient: Callable[[BaseException], bool],
    ) -> None:
        metrics = ConsumerMetrics(config.group_id)
        self._health = Health()
        pipeline = _Pipeline(
            consumer=consumer,
            config=config,
            processor=processor,
            dead_letters=dead_letters,
            retry=RetryPolicy(is_transient, config.retry_backoff_initial_sec, config.retry_backoff_max_sec),
            health=self._health,
            metrics=metrics,
        )
        self._driver = StreamProcessor(
            consumer,
            topics=config.topics,
            factory=pipeline,
            backpressure=Backpressure(consumer, pause_after_sec=config.pause_after_sec, metrics=metrics),
            metrics=metrics,
            max_records=config.max_batch_size,
            poll_interval_sec=max(1, min(config.poll_interval_ms, config.max_batch_time_ms)) / 1000,
            join_timeout_sec=config.join_timeout_sec,
        )

    @property
    def healthy(self) -> bool:
        """False while a batch or its dead letters are being retried after a transient failure."""
        return self._health.healthy

    @property
    def last_poll_monotonic(self) -> float:
        """When the loop last went round (`time.monotonic()`); liveness fails when it stalls."""
        return self._driver.last_poll_monotonic

    def stop(self) -> None:
        """Ask the loop to finish the records it accepted, commit them (forced) and return."""
        self._driver.stop()

    async def run(self) -> None:
        """Consume until `stop()`; raises when a step fails in a way it cannot handle."""
        await self._driver.run()


@dataclass(frozen=True)
class _Pipeline(Generic[TDecoded]):
    """The standard chain, built from the end backwards on every assignment:
    Decode -> BatchBySizeOrTime -> RunBatch -> RouteDeadLetters -> CommitOffsets."""

    consumer: AIOKafkaConsumer
    config: ConsumerConfig
    processor: BatchProcessor[TDecoded]
    dead_letters: DeadLetterPublisher
    retry: RetryPolicy
    health: Health
    metrics: ConsumerMetrics

    def create(self, wake: Wake) -> ProcessingStep[Record]:
        commit = CommitOffsets(
            self.consumer,
            policy=self.config.commit_policy,
            wake=wake,
            on_commit=LagGauge(self.consumer, self.metrics).record,
        )
        route = RouteDeadLetters(
            commit,
            publisher=self.dead_letters,
            retry=self.retry,
            health=self.health,
            metrics=self.metrics,
            wake=wake,
        )
        run: RunBatch[TDecoded] = RunBatch(
            route,
            handler=self.processor.process,
            retry=self.retry,
            health=self.health,
            metrics=self.metrics,
            wake=wake,
        )
        batch = BatchBySizeOrTime(
            run,
            max_batch_size=self.config.max_batch_size,
            max_batch_time_sec=self.config.max_batch_time_ms / 1000,
        )
        return Decode(batch, self.processor.decode)
