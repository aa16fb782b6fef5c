"""One stream of one mailbox, brought up to date: pages read, filtered, published, then committed.

The order inside a page is what makes capture lossless and cheap to replay:
    read page → plan (privacy, normalize, compare) → publish and wait for the broker's ack →
    store the page's item state and the cursor that follows it, in one transaction.
A crash anywhere before the commit re-reads the same page from the stored cursor and publishes it
again (harmless: ids are deterministic and scoring's writes are idempotent); nothing is skipped.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.capture.domain.backoff import retry_delay
from services.capture.domain.faults import ChainStalled, CursorExpired, Throttled, Unavailable
from services.capture.domain.items import Change, ItemGone, KnownItem
from services.capture.domain.normalize import MailboxIdentity
from services.capture.domain.privacy import CapturePolicy
from services.capture.domain.reconcile import PagePlan, plan_page
from services.capture.domain.status import should_resync
from services.capture.operations.sync.gate import MailboxGate
from services.capture.operations.sync.tuning import Lanes, Tuning
from services.capture.ports import (
    ActivityPublisher,
    ConnectionInfo,
    MailboxPaused,
    MailboxRef,
    Page,
    ProviderConnector,
    PublishFailed,
    StoredCursor,
    StoreUnavailable,
    StreamPlan,
    SyncContext,
    SyncStore,
)


class StreamObserver(Protocol):
    """Told what happens to a stream, for status and metrics. Must not block or raise."""

    def throttled(self, wait_sec: float) -> None: ...

    def resynced(self, stream: str) -> None: ...

    def page_done(self, stream: str, plan: PagePlan) -> None: ...


@dataclass(frozen=True)
class PassEnv:
    """Everything the streams of one mailbox pass share."""

    mailbox: MailboxRef
    connection: ConnectionInfo
    connector: ProviderConnector
    store: SyncStore
    publisher: ActivityPublisher
    gate: MailboxGate
    lanes: Lanes
    policy: CapturePolicy
    tuning: Tuning
    observer: StreamObserver
    clock: Callable[[], datetime]
    sleep: Callable[[float], Awaitable[None]]  # injectable for tests

    @property
    def who(self) -> MailboxIdentity:
        return MailboxIdentity(
            tenant_id=self.mailbox.tenant_id,
            rep_id=self.mailbox.rep_id,
            mailbox=self.mailbox.address,
            provider=self.mailbox.provider,
        )


class _PageKnown:
    """`KnownItems` for one page: loads what the connector asks for, once."""

    def __init__(self, store: SyncStore, mailbox_id: int) -> None:
        self._store = store
        self._mailbox_id = mailbox_id
        self._rows: dict[str, KnownItem] = {}
        self._loaded: set[str] = set()

    async def get(self, item_ids: Collection[str]) -> Mapping[str, KnownItem]:
        missing = [i for i in item_ids if i not in self._loaded]
        if missing:
            self._rows.update(await self._store.known_items(self._mailbox_id, missing))
            self._loaded.update(missing)
        return {i: self._rows[i] for i in item_ids if i in self._rows}

    async def in_series(self, series_id: str) -> Mapping[str, KnownItem]:
        found = await self._store.known_in_series(self._mailbox_id, series_id)
        self._rows.update(found)
        self._loaded.update(found)
        return found


def _ids(changes: Sequence[Change]) -> list[str]:
    return [c.item_id if isinstance(c, ItemGone) else c.item.item_id for c in changes]


class _DeliveryFailed(Unavailable):
    """The broker or the database failed us: the page is read again and published again."""


async def sync_stream(env: PassEnv, stream: StreamPlan, stored: StoredCursor | None) -> None:
    """Run `stream` to the end of its current round. Raises a `SyncFault` when it has to give up."""
    if stored is None:
        cursor = StoredCursor(value=None, scope=stream.scope)
    elif stored.scope != stream.scope:
        # The chain's parameters moved (e.g. the calendar window): restart it, deliberately.
        cursor = stored.fresh_round(scope=stream.scope, expiries=0)
    elif stored.value is None:
        cursor = dataclasses.replace(stored, full_round=True)
    else:
        cursor = stored
    progress = _Progress(env.tuning)
    while True:
        try:
            done, cursor = await _next_page(env, stream, cursor, progress)
        except CursorExpired:
            expiries = cursor.consecutive_expiries + 1
            restarted = cursor.fresh_round(scope=stream.scope, expiries=expiries)
            await env.store.save_cursor(env.mailbox.mailbox_id, stream.name, restarted)
            if not should_resync(expiries, max_resyncs_in_a_row=env.tuning.max_resyncs_in_a_row):
                raise
            env.observer.resynced(stream.name)
            cursor = restarted
            continue
        if done:
            return


class _Progress:
    """Does the chain move? Counts the pass's pages and the empty ones in a row (a chain that keeps
    answering empty pages with a link to more is busy importing nothing: cut it, never follow it at
    full speed)."""

    def __init__(self, tuning: Tuning) -> None:
        self._tuning = tuning
        self.pages = 0
        self.empty_in_a_row = 0

    def page(self, page: Page) -> None:
        self.pages += 1
        empty = not page.changes and not page.rejected and not page.complete
        self.empty_in_a_row = self.empty_in_a_row + 1 if empty else 0
        if self.empty_in_a_row > self._tuning.max_empty_pages:
            raise ChainStalled(f"{self.empty_in_a_row} empty pages in a row, each with a link to more")
        if self.pages > self._tuning.max_pages_per_pass and not page.complete:
            raise ChainStalled(f"more than {self._tuning.max_pages_per_pass} pages in one pass")


async def _next_page(
    env: PassEnv, stream: StreamPlan, cursor: StoredCursor, progress: _Progress
) -> tuple[bool, StoredCursor]:
    """One page with the retry policy: Retry-After pauses the mailbox, 5xx backs off (bounded)."""
    throttle_waits = 0
    transient_failures = 0
    while True:
        await env.gate.wait_unpaused()
        try:
            async with env.lanes.page(full_round=cursor.full_round):
                return await _page(env, stream, cursor, progress)
        except MailboxPaused:
            continue
        except Throttled as exc:
            throttle_waits += 1
            if throttle_waits > env.tuning.max_throttle_waits:
                raise
            wait = retry_delay(
                exc.retry_after_sec,
                attempt=throttle_waits - 1,
                backoff=env.tuning.backoff,
                jitter=random.random(),
            )
            env.gate.pause(wait)
            env.observer.throttled(wait)
        except Unavailable as exc:
            transient_failures += 1
            if transient_failures > env.tuning.transient_retries:
                raise
            wait = retry_delay(
                exc.retry_after_sec,
                attempt=transient_failures - 1,
                backoff=env.tuning.backoff,
                jitter=random.random(),
            )
            await env.sleep(wait)


async def _page(
    env: PassEnv, stream: StreamPlan, cursor: StoredCursor, progress: _Progress
) -> tuple[bool, StoredCursor]:
    known = _PageKnown(env.store, env.mailbox.mailbox_id)
    ctx = SyncContext(env.mailbox, env.connection, env.gate, known, env.clock())
    page = await env.connector.read_page(ctx, stream, cursor.value)
    progress.page(page)  # before committing: the cut chain resumes at this page, later
    seen = _ids(page.changes)
    observed = env.clock()
    plan = plan_page(
        page.changes,
        known=await known.get(seen),
        stream=stream.name,
        policy=env.policy,
        who=env.who,
        observed_at=observed,
        snapshots=stream.snapshots,
    )
    plan.rejected[:0] = page.rejected  # what the connector could not read comes first
    if page.complete and cursor.full_round:
        await _sweep(env, ctx, stream, cursor, known, exclude=set(seen), into=plan)
    following = StoredCursor(
        value=page.cursor,
        scope=stream.scope,
        complete=page.complete,
        full_round=cursor.full_round and not page.complete,
        generation=cursor.generation,
        consecutive_expiries=0 if page.complete else cursor.consecutive_expiries,
    )
    try:
        await env.publisher.publish(plan.publish)
        # Quarantined items are recorded before the cursor moves past them: none skipped unrecorded.
        await env.publisher.quarantine(env.mailbox, stream.name, plan.rejected)
        await env.store.commit_page(
            env.mailbox.mailbox_id,
            stream.name,
            following,
            remember=plan.remember,
            forget=plan.forget,
            published=len(plan.publish),
            rejected=plan.rejected,
            at=observed,
        )
    except (PublishFailed, StoreUnavailable) as exc:
        # Neither the records nor the cursor are known to be stored: read the page again and retry.
        raise _DeliveryFailed(f"could not deliver page: {exc!r}") from exc
    env.observer.page_done(stream.name, plan)
    return page.complete, following


async def _sweep(
    env: PassEnv,
    ctx: SyncContext,
    stream: StreamPlan,
    cursor: StoredCursor,
    known: _PageKnown,
    *,
    exclude: set[str],
    into: PagePlan,
) -> None:
    """A full round just ended: what capture published earlier and the round did not see was deleted
    (or moved) while the old cursor was unusable. Ask the provider, so a resync leaves no gap."""
    unseen = [
        i
        for i in await env.store.unseen_items(env.mailbox.mailbox_id, stream.name, cursor.generation)
        if i not in exclude
    ]
    if not unseen:
        return
    changes = await env.connector.confirm(ctx, stream, unseen)
    swept = plan_page(
        changes,
        known=await known.get(unseen),
        stream=stream.name,
        policy=env.policy,
        who=env.who,
        observed_at=env.clock(),
        snapshots=stream.snapshots,
    )
    mentioned = set(_ids(changes))
    into.publish.extend(swept.publish)
    into.remember.extend(swept.remember)
    into.forget.extend(swept.forget)
    # Still there but no longer part of this stream (moved, or out of the window): stop tracking.
    into.forget.extend(i for i in unseen if i not in mentioned)
    into.retracted += swept.retracted
    into.rejected.extend(swept.rejected)
