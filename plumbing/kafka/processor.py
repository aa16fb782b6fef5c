"""The driver: one group member's loop that feeds fetched records into a fresh pipeline per assignment.

It fetches, submits, polls, pushes back and hands the pipeline over at rebalances; what happens to a
record is the steps' business (see the package docstring).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from aiokafka import ConsumerRebalanceListener, TopicPartition

from plumbing.kafka.backpressure import Backpressure
from plumbing.kafka.metrics import ConsumerMetrics
from plumbing.kafka.records import Record
from plumbing.kafka.steps.abstract import Message, MessageRejected, ProcessingStep, Wake

_log = logging.getLogger(__name__)


class PipelineFactory(Protocol):
    """Builds the steps for one assignment; the driver retires the pipeline when it is revoked."""

    def create(self, wake: Wake) -> ProcessingStep[Record]:
        """A fresh pipeline whose steps call `wake` when background work finished. Never blocks."""
        ...


class Source(Protocol):
    """The part of `AIOKafkaConsumer` the driver uses (started by the caller, who also stops it)."""

    def subscribe(self, topics: list[str], listener: ConsumerRebalanceListener) -> None: ...

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Record]]: ...


class StreamProcessor:
    """Runs one consumer-group member until `stop()`.

    `run` subscribes, then loops: fetch (or, while the pipeline refuses records, wait for it to make
    progress), poll the pipeline, submit the fetched records in order. On revocation it closes and
    joins the pipeline (the forced commit) within `join_timeout_sec`, terminating it after that so
    a stuck handler cannot hold up the group; on assignment it creates a fresh one. On `stop` it
    joins the same way and returns.
    """

    def __init__(
        self,
        consumer: Source,
        *,
        topics: Sequence[str],
        factory: PipelineFactory,
        backpressure: Backpressure,
        metrics: ConsumerMetrics,
        max_records: int,
        poll_interval_sec: float,
        join_timeout_sec: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._consumer = consumer
        self._topics = list(topics)
        self._factory = factory
        self._backpressure = backpressure
        self._metrics = metrics
        self._max_records = max_records
        self._poll_interval_sec = poll_interval_sec
        self._join_timeout_sec = join_timeout_sec
        self._clock = clock
        self._pipeline: ProcessingStep[Record] | None = None
        self._held: collections.deque[Message[Record]] = collections.deque()
        self._progress = asyncio.Event()
        self._stopping = asyncio.Event()
        self._retiring = asyncio.Lock()
        self._failure: BaseException | None = None
        self.last_poll_monotonic = clock()

    def stop(self) -> None:
        """Ask `run` to join the pipeline (finish, forced commit) and return. Never blocks."""
        self._stopping.set()
        self._progress.set()

    async def run(self) -> None:
        """Consume until `stop()`. Raises what a step raised (after terminating the pipeline); the
        records whose offsets were not committed are read again by the group."""
        self._consumer.subscribe(self._topics, listener=_Rebalance(self))
        try:
            while not self._stopping.is_set():
                await self._run_once()
            await self._retire()
        except BaseException:
            if self._pipeline is not None:
                self._pipeline.terminate()
                self._pipeline = None
            raise

    async def _run_once(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._held:
            await self._wait_for_progress()
            if self._backpressure.paused:
                await self._fetch(timeout_ms=0)  # nothing comes back for paused partitions
        else:
            await self._fetch(timeout_ms=int(self._poll_interval_sec * 1000))
        self.last_poll_monotonic = self._clock()
        pipeline = self._pipeline
        if pipeline is None:
            return  # assignment not there yet: the held records wait for its pipeline
        self._progress.clear()
        pipeline.poll()
        # Let work the poll started (a batch's transaction) reach its first I/O before the CPU goes
        # to decoding the held records, so the database works meanwhile.
        await asyncio.sleep(0)
        if self._pipeline is pipeline:
            self._submit_held(pipeline)

    async def _fetch(self, *, timeout_ms: int) -> None:
        fetched = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=self._max_records)
        for partition, records in fetched.items():
            self._metrics.fetched(partition.topic, len(records))
            self._held.extend(Message(record, {partition: record.offset + 1}) for record in records)

    async def _wait_for_progress(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._progress.wait(), timeout=self._poll_interval_sec)

    def _submit_held(self, pipeline: ProcessingStep[Record]) -> None:
        held = self._held
        while held:
            try:
                pipeline.submit(held[0])
            except MessageRejected:
                self._backpressure.refused()
                return
            held.popleft()
        self._backpressure.accepted()

    def _assigned(self, assigned: set[TopicPartition]) -> None:
        _log.info(
            "partitions assigned", extra={"partitions": [f"{tp.topic}:{tp.partition}" for tp in assigned]}
        )
        if not self._stopping.is_set():
            self._pipeline = self._factory.create(self._progress.set)
            self._progress.set()

    async def _revoked(self) -> None:
        # Eager rebalancing: every partition goes, and aiokafka re-reads the positions of whatever
        # comes back from the committed offsets, so records fetched but not taken are simply dropped.
        self._held.clear()
        self._backpressure.forget()
        try:
            await self._retire()
        except Exception as exc:
            self._failure = exc  # aiokafka would only log it: `run` raises it instead

    async def _retire(self) -> None:
        """Close and join the current pipeline within the join timeout; terminate it after that."""
        async with self._retiring:
            pipeline, self._pipeline = self._pipeline, None
            if pipeline is None:
                return
            pipeline.close()
            try:
                await asyncio.wait_for(pipeline.join(), timeout=self._join_timeout_sec)
            except TimeoutError:
                _log.warning(
                    "pipeline did not finish in time; its uncommitted records will be read again",
                    extra={"join_timeout_sec": self._join_timeout_sec},
                )
                pipeline.terminate()
            except BaseException:
                pipeline.terminate()
                raise


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Hands the pipeline over at a rebalance; aiokafka awaits these before the group moves on."""

    def __init__(self, processor: StreamProcessor) -> None:
        self._processor = processor

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._processor._revoked()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._processor._assigned(assigned)
