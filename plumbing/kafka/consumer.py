"""The batch consumer loop: fetch, decode, apply in one transaction, then commit the next offsets.

Rules it enforces for every consumer in the platform:
- offsets are committed only after `BatchProcessor.process` returns, i.e. after the database commit;
- a record that can never be processed goes to the dead-letter topic and does not block its partition;
- a transient failure (database or broker down) retries the same batch with backoff, forever;
- a non-transient failure is narrowed down by processing the batch one record at a time, so only the
  records that fail on their own are dead-lettered;
- batches are applied and committed strictly in order; while one is being applied, the next one is
  already fetched and decoded (decoding is pure), so fetching and decoding overlap the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeAlias, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from prometheus_client import Counter, Gauge, Histogram

from plumbing.kafka.dead_letters import DeadLetter, DeadLetterPublisher, InvalidMessage

_log = logging.getLogger(__name__)

TDecoded = TypeVar("TDecoded")
Record: TypeAlias = ConsumerRecord[bytes, bytes]

RECORDS = Counter("gt_consumer_records_total", "Records fetched", ["group", "topic"])
DEAD_LETTERED = Counter("gt_consumer_dead_lettered_total", "Records sent to the dead-letter topic", ["group"])
BATCHES = Counter("gt_consumer_batches_total", "Batches applied and committed", ["group"])
RETRIES = Counter("gt_consumer_batch_retries_total", "Batch attempts that failed and were retried", ["group"])
BATCH_SECONDS = Histogram("gt_consumer_batch_seconds", "Time to apply and commit one batch", ["group"])
LAG = Gauge(
    "gt_consumer_lag_records", "High watermark minus committed position", ["group", "topic", "partition"]
)


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


@dataclass(frozen=True)
class _Decoded(Generic[TDecoded]):
    values: list[tuple[Record, TDecoded]]
    poison: list[DeadLetter]


class _WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    """Lets an in-flight batch finish and commit before its partitions are handed to someone else."""

    def __init__(self, batch_lock: asyncio.Lock) -> None:
        self._lock = batch_lock

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self._lock:
            pass

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        _log.info(
            "partitions assigned", extra={"partitions": [f"{tp.topic}:{tp.partition}" for tp in assigned]}
        )


class BatchConsumer(Generic[TDecoded]):
    """Runs one consumer-group member until `stop()`; see the module docstring for its rules."""

    def __init__(
        self,
        *,
        consumer: AIOKafkaConsumer,
        config: ConsumerConfig,
        processor: BatchProcessor[TDecoded],
        dead_letters: DeadLetterPublisher,
        is_transient: Callable[[BaseException], bool],
    ) -> None:
        self._consumer = consumer
        self._config = config
        self._processor = processor
        self._dead_letters = dead_letters
        self._is_transient = is_transient
        self._stopping = asyncio.Event()
        self._batch_lock = asyncio.Lock()
        self._listener = _WaitForBatch(self._batch_lock)
        self.last_poll_monotonic = time.monotonic()
        self.healthy = True

    def stop(self) -> None:
        """Ask the loop to finish its current batch, commit it and return."""
        self._stopping.set()

    async def run(self) -> None:
        self._consumer.subscribe(list(self._config.topics), listener=self._listener)
        in_flight: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set():
                records = await self._collect(in_flight)
                self.last_poll_monotonic = time.monotonic()
                decoded = self._decode(records) if records else None
                if in_flight is not None:
                    await in_flight
                    in_flight = None
                if decoded is not None:
                    # Fetched before a rebalance, some may now belong to another member: applying them
                    # anyway is harmless (idempotent), and their offset commit is refused and logged.
                    in_flight = asyncio.create_task(self._apply_and_commit(records, decoded))
        finally:
            if in_flight is not None:
                await in_flight

    async def _apply_and_commit(self, records: list[Record], decoded: _Decoded[TDecoded]) -> None:
        async with self._batch_lock:
            started = time.perf_counter()
            await self._apply(decoded)
            await self._commit(records)
            BATCH_SECONDS.labels(self._config.group_id).observe(time.perf_counter() - started)
            BATCHES.labels(self._config.group_id).inc()

    async def _collect(self, in_flight: asyncio.Task[None] | None = None) -> list[Record]:
        """Gather records until the batch is full or its time is up.

        While the previous batch is still being applied, its time is not up: the next batch keeps
        filling, so a slow database makes batches larger instead of transactions more numerous.
        """
        deadline = time.monotonic() + self._config.max_batch_time_ms / 1000
        records: list[Record] = []
        while len(records) < self._config.max_batch_size and not self._stopping.is_set():
            busy = in_flight is not None and not in_flight.done()
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            if remaining_ms == 0 and records and not busy:
                break
            fetched = await self._consumer.getmany(
                timeout_ms=max(remaining_ms, 5) if busy else remaining_ms,
                max_records=self._config.max_batch_size - len(records),
            )
            for partition_records in fetched.values():
                records.extend(partition_records)
            if not busy and (remaining_ms == 0 or (not fetched and records)):
                break
        return records

    def _decode(self, records: list[Record]) -> _Decoded[TDecoded]:
        group = self._config.group_id
        decoded: list[tuple[Record, TDecoded]] = []
        poison: list[DeadLetter] = []
        per_topic: dict[str, int] = {}
        for record in records:
            per_topic[record.topic] = per_topic.get(record.topic, 0) + 1
            try:
                decoded.append((record, self._processor.decode(record)))
            except InvalidMessage as exc:
                poison.append(DeadLetter(record, exc.reason))
        for topic, count in per_topic.items():
            RECORDS.labels(group, topic).inc(count)
        return _Decoded(decoded, poison)

    async def _apply(self, batch: _Decoded[TDecoded]) -> None:
        group = self._config.group_id
        decoded, poison = batch.values, list(batch.poison)
        if decoded:
            try:
                await self._process_with_retry([value for _, value in decoded])
            except _NotTransient:
                poison.extend(await self._process_one_by_one(decoded))
        if poison:
            await self._retry_transient(lambda: self._dead_letters.publish(poison))
            DEAD_LETTERED.labels(group).inc(len(poison))

    async def _process_with_retry(self, batch: list[TDecoded]) -> None:
        await self._retry_transient(lambda: self._processor.process(batch))

    async def _process_one_by_one(self, decoded: list[tuple[Record, TDecoded]]) -> list[DeadLetter]:
        poison = []
        for record, value in decoded:
            try:
                await self._process_with_retry([value])
            except _NotTransient as exc:
                poison.append(DeadLetter(record, f"processing failed: {exc.__cause__!r}"))
        return poison

    async def _retry_transient(self, attempt: Callable[[], Awaitable[None]]) -> None:
        """Run `attempt` until it succeeds; transient errors back off, others raise `_NotTransient`."""
        backoff = self._config.retry_backoff_initial_sec
        while True:
            try:
                await attempt()
                self.healthy = True
                return
            except Exception as exc:
                if not self._is_transient(exc):
                    raise _NotTransient() from exc
                self.healthy = False
                RETRIES.labels(self._config.group_id).inc()
                _log.warning("batch failed, retrying", extra={"error": repr(exc), "backoff_sec": backoff})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._config.retry_backoff_max_sec)

    async def _commit(self, records: list[Record]) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for record in records:
            offsets[TopicPartition(record.topic, record.partition)] = OffsetAndMetadata(record.offset + 1, "")
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The partitions moved to another member during a rebalance; it will re-read these
            # records and the idempotent writes make that harmless.
            _log.warning("offset commit rejected after rebalance", extra={"error": repr(exc)})
            return
        except KafkaError as exc:
            _log.warning("offset commit failed; records will be re-delivered", extra={"error": repr(exc)})
            return
        for tp, meta in offsets.items():
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                LAG.labels(self._config.group_id, tp.topic, str(tp.partition)).set(highwater - meta.offset)


class _NotTransient(Exception):
    """Internal: the wrapped failure will not go away by retrying."""
