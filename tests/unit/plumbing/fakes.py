"""In-memory stand-ins for the consumer's collaborators: a group member, a producer, a step, a clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata

from plumbing.kafka.records import Record
from plumbing.kafka.steps.abstract import Message, MessageRejected


class ManualClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeMember:
    """A group member alone in its group: every partition of its records is assigned to it on the
    first fetch, records are served once each (not while paused), commits are remembered."""

    def __init__(self, records: list[Record], *, highwater: int | None = None) -> None:
        self.pending = list(records)
        self.partitions = {TopicPartition(r.topic, r.partition) for r in records}
        self.commits: list[dict[TopicPartition, OffsetAndMetadata]] = []
        self.events: list[str] = []
        self.drained = asyncio.Event()
        self.listener: Any = None
        self.assigned: set[TopicPartition] = set()
        self.paused_partitions: set[TopicPartition] = set()
        self.fetches = 0
        self._highwater = highwater

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    async def rebalance(self, partitions: set[TopicPartition]) -> None:
        """Revoke everything, then assign `partitions`, as aiokafka's eager protocol does."""
        await self.listener.on_partitions_revoked(set(self.assigned))
        self.events.append("revoked")
        self.assigned, self.paused_partitions = set(partitions), set()
        await self.listener.on_partitions_assigned(set(partitions))

    async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Record]]:
        self.fetches += 1
        if not self.assigned and self.listener is not None:
            await self.rebalance(self.partitions or {TopicPartition("topic", 0)})
        servable = [
            r for r in self.pending if TopicPartition(r.topic, r.partition) not in self.paused_partitions
        ]
        if not servable:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        batch = servable[:max_records]
        served = {id(r) for r in batch}
        self.pending = [r for r in self.pending if id(r) not in served]
        by_partition: dict[TopicPartition, list[Record]] = {}
        for r in batch:
            by_partition.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
        return by_partition

    async def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self.events.append("commit")
        self.commits.append(offsets)
        if not self.pending:
            self.drained.set()

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self._highwater

    def pause(self, *partitions: TopicPartition) -> None:
        self.events.append("pause")
        self.paused_partitions |= set(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.events.append("resume")
        self.paused_partitions -= set(partitions)

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_partitions)

    def committed(self, tp: TopicPartition) -> int | None:
        """The last offset committed for `tp`."""
        for offsets in reversed(self.commits):
            if tp in offsets:
                return int(offsets[tp].offset)
        return None


class FakeProducer:
    """Acknowledges every send at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, list[tuple[str, bytes]]]] = []

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Any
    ) -> asyncio.Future[None]:
        self.sent.append((topic, value, list(headers)))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


@dataclass
class RecordingStep:
    """A next step that remembers what it got and refuses messages while `busy`."""

    busy: bool = False
    received: list[Message[Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def submit(self, message: Message[Any]) -> None:
        if self.busy:
            raise MessageRejected()
        self.received.append(message)

    def poll(self) -> None:
        self.calls.append("poll")

    async def join(self) -> None:
        self.calls.append("join")

    def close(self) -> None:
        self.calls.append("close")

    def terminate(self) -> None:
        self.calls.append("terminate")

    @property
    def payloads(self) -> list[Any]:
        return [m.payload for m in self.received]
