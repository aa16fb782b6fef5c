"""What erasure and the relays to Kafka need from storage and from the broker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ErasureCounts:
    """Rows an erasure deleted, by kind (the EraseRep answer)."""

    activities: int
    aggregates: int
    scores: int
    crm_entries: int


class ErasureStore(Protocol):
    """Where a rep's data is erased; every method may block on the database."""

    async def erase_rep(self, tenant_id: str, rep_id: str) -> ErasureCounts:
        """Erase the rep in one transaction under the tenant's ingest lock (no batch interleaves),
        queue a tombstone for their score and ask for a full rescore. Raises on failure."""

    async def tombstone_queued(self, tenant_id: str, rep_id: str) -> bool:
        """Whether the rep's tombstone still waits to be published."""


@dataclass(frozen=True, slots=True)
class QueuedTombstone:
    """An erased rep whose score must be deleted from the compacted scores topic."""

    tenant_id: str
    rep_id: str
    queued_at: datetime


@dataclass(frozen=True, slots=True)
class UnpublishedScore:
    """A stored score whose current version is not on the scores topic yet."""

    tenant_id: str
    rep_id: str
    payload: bytes  # a serialized RepScore
    content_hash: bytes


@dataclass(frozen=True, slots=True)
class FeedPage:
    """Consecutive positions of one tenant's write-back feed, ready to publish, in feed order.

    One object per page, not per position: the relay handles thousands of positions a second."""

    records: list[tuple[str, str, bytes]]  # (tenant, rep, serialized MatchedActivity)
    through: int  # the feed position of the last record (the page's progress once published)


@dataclass(frozen=True, slots=True)
class FeedBehind:
    """A tenant whose feed has positions committed but not yet on the topic."""

    tenant_id: str
    published_through: int
    last_sequence: int


class RelayStore(Protocol):
    """The outbox the relays read: what is committed but not yet on the topics. Every method may
    block on the database and raises on failure; each write is its own transaction.

    Only the holder of the relay lease reads or writes the outbox: `lead()` first."""

    async def lead(self) -> bool:
        """Whether this process is the one relay publisher (takes the lease when it is free; keeps it
        until `step_down` or until the process or its connection dies)."""

    async def step_down(self) -> None:
        """Give the lease up (after a failure, or at shutdown): another process may take it."""

    async def queued_tombstones(self, limit: int) -> list[QueuedTombstone]:
        """The oldest tombstones first."""

    async def forget_tombstones(self, published: Sequence[QueuedTombstone]) -> None:
        """Drop these (a tombstone queued again meanwhile has a later queued_at and stays)."""

    async def unpublished_scores(self, limit: int) -> list[UnpublishedScore]: ...

    async def mark_published(self, published: Sequence[UnpublishedScore]) -> None:
        """Mark exactly these versions published: a score changed meanwhile goes out next time."""

    async def feeds_behind(self) -> list[FeedBehind]:
        """Each tenant whose feed has positions not yet published."""

    async def feed_page(self, tenant_id: str, *, after: int, limit: int) -> FeedPage | None:
        """At most `limit` positions after position `after`, in feed order; None when there are none."""

    async def feed_published_through(self, tenant_id: str, sequence: int) -> None:
        """Record progress; it never moves backwards."""


class RelayPublisher(Protocol):
    """Publishes keyed by (tenant, rep), so a rep's records stay in order on one partition. Returns
    only once the broker has every record; raises if any was not acknowledged."""

    async def publish_scores(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        """(tenant, rep, serialized RepScore) records to the scores topic."""

    async def publish_tombstones(self, reps: Sequence[tuple[str, str]]) -> None:
        """(tenant, rep) tombstones to the scores topic (compaction then forgets the rep's score)."""

    async def publish_matched(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        """(tenant, rep, serialized MatchedActivity) records."""
