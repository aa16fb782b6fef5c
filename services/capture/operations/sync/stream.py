"""One stream of one mailbox, brought up to date: pages read, filtered, published, then committed.

The order for each page is what makes capture lossless and cheap to replay:
    read page → plan (privacy, normalize, compare) → publish and wait for the broker's ack →
    store the page's item state and the cursor that follows it, in one transaction.
A crash anywhere before the commit re-reads the same page from the stored cursor and publishes it
again (harmless: ids are deterministic and scoring's writes are idempotent); nothing is skipped.
The pages of a chain are pipelined (`pipeline.py`: the next page is read while the current one is
delivered, commits in page order); this module restarts the chain from the last committed cursor
when its cursor expired, and after a failed delivery (delivering the failed page again first).
"""

from __future__ import annotations

import dataclasses

from services.capture.domain.faults import CursorExpired
from services.capture.domain.status import should_resync
from services.capture.operations.sync.page import ChainProgress, DeliveryFailed, ReadPage, backoff_wait
from services.capture.operations.sync.pass_env import PassEnv, StreamObserver
from services.capture.operations.sync.pipeline import ChainState, run_chain
from services.capture.ports import StoredCursor, StreamPlan

__all__ = ["PassEnv", "StreamObserver", "sync_stream"]


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
    chain = ChainState(cursor)
    progress = ChainProgress(env.tuning)
    undelivered: ReadPage | None = None
    failed_at: StoredCursor | None = None
    delivery_failures = 0
    while True:
        again, undelivered = undelivered, None
        try:
            await run_chain(env, stream, chain, progress, undelivered=again)
            return
        except CursorExpired:
            expiries = chain.committed.consecutive_expiries + 1
            restarted = chain.committed.fresh_round(scope=stream.scope, expiries=expiries)
            await env.store.save_cursor(env.mailbox.mailbox_id, stream.name, restarted)
            if not should_resync(expiries, max_resyncs_in_a_row=env.tuning.max_resyncs_in_a_row):
                raise
            env.observer.resynced(stream.name)
            chain.committed = restarted
        except DeliveryFailed as exc:
            # Counted per page, as a read's failures are: a chain that moves on starts counting anew.
            delivery_failures = delivery_failures + 1 if failed_at is chain.committed else 1
            failed_at = chain.committed
            if delivery_failures > env.tuning.transient_retries:
                raise
            await env.sleep(backoff_wait(env, exc, delivery_failures))
            undelivered = exc.page
