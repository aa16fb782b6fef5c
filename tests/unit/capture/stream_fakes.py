"""Fakes of the ports a stream uses (connector, store, publisher, observer), for the stream tests.

The connector answers from a script; the store, publisher and observer record what they were asked.
Connector and store also write one shared `events` log ("read <cursor>", "commit <cursor>"), so a test
can read the order of reads and commits. None of them yields to the event loop unless a test hooks it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.items import Change, ItemGone, ItemKind, ItemSeen, KnownItem
from services.capture.domain.privacy import CapturePolicy, DomainSet
from services.capture.domain.quarantine import Rejected
from services.capture.domain.reconcile import PagePlan
from services.capture.operations.sync.gate import MailboxGate
from services.capture.operations.sync.stream import PassEnv
from services.capture.operations.sync.tuning import Lanes, Tuning
from services.capture.ports import (
    ConnectionInfo,
    MailboxRef,
    Page,
    PublishFailed,
    StoredCursor,
    StreamPlan,
    SyncContext,
)
from tests.unit.capture.builders import OWNER, email

MAILBOX = MailboxRef(1, "acme", "c1", activity_pb2.PROVIDER_MICROSOFT, OWNER, "rep-ann")
CONNECTION = ConnectionInfo("c1", "acme", activity_pb2.PROVIDER_MICROSOFT, {"kind": "secret"}, "v1")
STREAM = StreamPlan("mail:inbox")
Step = Page | Exception


@dataclass
class FakeConnector:
    """Answers each cursor with the scripted steps, in order (a list, so a cursor can fail once).
    `on_read`, when set, is awaited after each read is logged (a test's hook into the timeline)."""

    script: dict[str | None, list[Step]]
    reads: list[str | None] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    events: list[str] = field(default_factory=list)
    on_read: Callable[[str | None], Awaitable[None]] | None = None

    async def read_page(self, ctx: SyncContext, stream: StreamPlan, cursor: str | None) -> Page:
        self.reads.append(cursor)
        self.events.append(f"read {cursor}")
        if self.on_read is not None:
            await self.on_read(cursor)
        steps = self.script[cursor]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        if isinstance(step, Exception):
            raise step
        return step

    async def confirm(
        self, ctx: SyncContext, stream: StreamPlan, item_ids: Sequence[str]
    ) -> Sequence[Change]:
        self.confirmed += item_ids
        return [ItemGone(ItemKind.EMAIL, i) for i in item_ids if i in self.gone]


@dataclass
class FakeStore:
    cursors: dict[str, StoredCursor] = field(default_factory=dict)
    items: dict[str, tuple[KnownItem, int]] = field(default_factory=dict)  # with generation
    commits: int = 0
    committed: list[str | None] = field(default_factory=list)  # each commit's cursor, in order
    rejected: list[Rejected] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    async def known_items(self, mailbox_id: int, item_ids: Collection[str]) -> dict[str, KnownItem]:
        return {i: self.items[i][0] for i in item_ids if i in self.items}

    async def known_in_series(self, mailbox_id: int, series_id: str) -> dict[str, KnownItem]:
        return {}

    async def unseen_items(self, mailbox_id: int, stream: str, generation: int) -> list[str]:
        return [i for i, (k, g) in self.items.items() if k.stream == stream and g < generation]

    async def commit_page(
        self,
        mailbox_id: int,
        stream: str,
        cursor: StoredCursor,
        *,
        remember: Sequence[KnownItem],
        forget: Sequence[str],
        published: int,
        rejected: Sequence[Rejected] = (),
        at: datetime | None = None,
    ) -> None:
        self.commits += 1
        self.committed.append(cursor.value)
        self.events.append(f"commit {cursor.value}")
        self.rejected += rejected
        for k in remember:
            self.items[k.item_id] = (k, cursor.generation)
        for i in forget:
            self.items.pop(i, None)
        self.cursors[stream] = cursor

    async def save_cursor(self, mailbox_id: int, stream: str, cursor: StoredCursor) -> None:
        self.cursors[stream] = cursor


@dataclass
class FakePublisher:
    """`fail`: every publish with records fails. `before_publish`, when set, is awaited with the
    page's records first and may raise (`PublishFailed`, as `KafkaActivityPublisher` says it)."""

    fail: bool = False
    published: list[activity_pb2.Activity] = field(default_factory=list)
    quarantined: list[Rejected] = field(default_factory=list)
    before_publish: Callable[[Sequence[activity_pb2.Activity]], Awaitable[None]] | None = None

    async def publish(self, activities: Sequence[activity_pb2.Activity]) -> None:
        if self.fail and activities:
            raise PublishFailed("the broker did not acknowledge")
        if self.before_publish is not None:
            await self.before_publish(activities)
        self.published += activities

    async def quarantine(self, mailbox: MailboxRef, stream: str, rejected: Sequence[Rejected]) -> None:
        if self.fail and rejected:
            raise PublishFailed("the broker did not acknowledge")
        self.quarantined += rejected


@dataclass
class Observer:
    throttles: list[float] = field(default_factory=list)
    resyncs: int = 0
    pages: int = 0
    peak_in_flight: int = 0

    def throttled(self, wait_sec: float) -> None:
        self.throttles.append(wait_sec)

    def resynced(self, stream: str) -> None:
        self.resyncs += 1

    def page_done(self, stream: str, plan: PagePlan) -> None:
        self.pages += 1

    def pages_in_flight(self, stream: str, pages: int) -> None:
        self.peak_in_flight = max(self.peak_in_flight, pages)


async def no_sleep(_: float) -> None:
    return None


def env(
    connector: FakeConnector,
    store: FakeStore,
    publisher: FakePublisher,
    observer: Observer,
    tuning: Tuning | None = None,
) -> PassEnv:
    return PassEnv(
        mailbox=MAILBOX,
        connection=CONNECTION,
        connector=connector,  # type: ignore[arg-type]
        store=store,  # type: ignore[arg-type]
        publisher=publisher,
        gate=MailboxGate(4),
        lanes=Lanes(backfill=8, incremental=8),
        policy=CapturePolicy(internal_domains=DomainSet.of(["acme.example"])),
        tuning=tuning or Tuning(transient_retries=2),
        observer=observer,
        clock=lambda: datetime.now(UTC),
        sleep=no_sleep,
    )


def seen(*ids: str) -> list[Change]:
    return [ItemSeen(email(i)) for i in ids]
