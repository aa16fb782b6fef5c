"""One page of a chain: read and planned (with the retry policy), then delivered (published, committed).

Reading a page: read → the chain's progress checked (a cut is decided here, before anything asks for
the page the link points to) → plan (privacy, normalize, compare) → at the end of a full round, the
sweep. Delivering it: publish and wait for the broker's ack → dead-letter the quarantined items →
store the page's item state and the cursor that follows it, in one transaction.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.capture.domain.backoff import retry_delay
from services.capture.domain.faults import ChainStalled, Throttled, Unavailable
from services.capture.domain.items import Change, ItemGone
from services.capture.domain.reconcile import PagePlan, plan_page
from services.capture.operations.sync.known import PageKnown, PendingItems
from services.capture.operations.sync.pass_env import PassEnv
from services.capture.operations.sync.tuning import Tuning
from services.capture.ports import (
    MailboxPaused,
    Page,
    PublishFailed,
    StoredCursor,
    StoreUnavailable,
    StreamPlan,
    SyncContext,
)


class DeliveryFailed(Unavailable):
    """The broker or the database failed us: neither the page's records nor its cursor are known to be
    stored. `page` (read and planned, its slots released) is delivered again, whole."""

    def __init__(self, message: str, *, page: ReadPage) -> None:
        super().__init__(message)
        self.page = page


class ChainProgress:
    """Does the chain move? Counts the pass's pages and the empty ones in a row (a chain that keeps
    answering empty pages with a link to more is busy importing nothing: cut it, never follow it at
    full speed)."""

    def __init__(self, tuning: Tuning) -> None:
        self._tuning = tuning
        self.pages = 0
        self.empty_in_a_row = 0

    def page(self, page: Page) -> None:
        """Count `page`; raises `ChainStalled` when the chain must be cut at it (its link not followed)."""
        self.pages += 1
        empty = not page.changes and not page.rejected and not page.complete
        self.empty_in_a_row = self.empty_in_a_row + 1 if empty else 0
        if self.empty_in_a_row > self._tuning.max_empty_pages:
            raise ChainStalled(f"{self.empty_in_a_row} empty pages in a row, each with a link to more")
        if self.pages > self._tuning.max_pages_per_pass and not page.complete:
            raise ChainStalled(f"more than {self._tuning.max_pages_per_pass} pages in one pass")


@dataclass
class ReadPage:
    """A page read and planned, waiting to be delivered. `release` frees its lane slot and its place
    in the chain's pipeline (idempotent); called once the page is committed or discarded."""

    seq: int
    plan: PagePlan
    following: StoredCursor
    observed: datetime
    release: Callable[[], None]


async def read_and_plan(
    env: PassEnv,
    stream: StreamPlan,
    cursor: StoredCursor,
    progress: ChainProgress,
    pending: PendingItems,
    *,
    seq: int,
    earlier_committed: Callable[[], Awaitable[None]],
) -> ReadPage:
    """The page `cursor` points to, with the retry policy: Retry-After pauses the mailbox, 5xx backs
    off (bounded). Holds a lane slot from the read until the page is released. `earlier_committed`
    waits until every earlier page of the chain is committed (the sweep reads the store)."""
    throttle_waits = 0
    transient_failures = 0
    while True:
        await env.gate.wait_unpaused()
        release_lane = await env.lanes.admit(full_round=cursor.full_round)
        try:
            plan, following, observed = await _read(env, stream, cursor, progress, pending, earlier_committed)
        except MailboxPaused:
            release_lane()
            continue
        except Throttled as exc:
            release_lane()
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
            continue
        except Unavailable as exc:
            release_lane()
            transient_failures += 1
            if transient_failures > env.tuning.transient_retries:
                raise
            await env.sleep(backoff_wait(env, exc, transient_failures))
            continue
        except BaseException:
            release_lane()
            raise
        return ReadPage(seq, plan, following, observed, release_lane)


def backoff_wait(env: PassEnv, exc: Unavailable, failures: int) -> float:
    return retry_delay(
        exc.retry_after_sec, attempt=failures - 1, backoff=env.tuning.backoff, jitter=random.random()
    )


async def _read(
    env: PassEnv,
    stream: StreamPlan,
    cursor: StoredCursor,
    progress: ChainProgress,
    pending: PendingItems,
    earlier_committed: Callable[[], Awaitable[None]],
) -> tuple[PagePlan, StoredCursor, datetime]:
    known = PageKnown(env.store, env.mailbox.mailbox_id, pending)
    ctx = SyncContext(env.mailbox, env.connection, env.gate, known, env.clock())
    page = await env.connector.read_page(ctx, stream, cursor.value)
    progress.page(page)  # before anything else: a cut chain resumes at this page, later
    sweeping = page.complete and cursor.full_round
    if sweeping:
        await earlier_committed()
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
    if sweeping:
        await _sweep(env, ctx, stream, cursor, known, exclude=set(seen), into=plan)
    following = StoredCursor(
        value=page.cursor,
        scope=stream.scope,
        complete=page.complete,
        full_round=cursor.full_round and not page.complete,
        generation=cursor.generation,
        consecutive_expiries=0 if page.complete else cursor.consecutive_expiries,
    )
    return plan, following, observed


async def deliver(env: PassEnv, stream: StreamPlan, page: ReadPage) -> None:
    """Publish the page, dead-letter its quarantined items, then commit it. Raises `DeliveryFailed`
    when the broker or the database failed: neither the records nor the cursor are known stored."""
    plan = page.plan
    try:
        await env.publisher.publish(plan.publish)
        # Quarantined items are recorded before the cursor moves past them: none skipped unrecorded.
        await env.publisher.quarantine(env.mailbox, stream.name, plan.rejected)
        await env.store.commit_page(
            env.mailbox.mailbox_id,
            stream.name,
            page.following,
            remember=plan.remember,
            forget=plan.forget,
            published=len(plan.publish),
            rejected=plan.rejected,
            at=page.observed,
        )
    except (PublishFailed, StoreUnavailable) as exc:
        raise DeliveryFailed(f"could not deliver page: {exc!r}", page=page) from exc


def _ids(changes: Sequence[Change]) -> list[str]:
    return [c.item_id if isinstance(c, ItemGone) else c.item.item_id for c in changes]


async def _sweep(
    env: PassEnv,
    ctx: SyncContext,
    stream: StreamPlan,
    cursor: StoredCursor,
    known: PageKnown,
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
