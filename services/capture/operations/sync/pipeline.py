"""A chain's pages, pipelined: the next page is read while the current one is delivered.

    reader task:  read 1 → cut? → plan 1 ┐ read 2 → cut? → plan 2 ┐ read 3 ...   (waits for room)
    deliverer:                           └ publish 1 → commit 1     └ publish 2 → commit 2 ...

A chain's pages can only be read one after another (each page holds the link to the next), so what
overlaps is the provider's round trip for page N+1 with the broker's and the database's for page N.
The rules (docs/capture.md, "Pipelined chains"):
- At most `Tuning.pipeline_depth` pages of a chain are in flight: the one being read and those read but
  not yet committed. Each holds a lane slot from its read until its commit. Depth 1 reads a page only
  after the one before it is committed.
- Commits happen strictly in page order: one deliverer takes the pages in the order they were read.
- A cut (too many empty pages, the page budget) is decided on the page just read, before the reader
  asks for the page its link points to: a cut chain is never read past the cut.
- Whatever stops the reader (a cut, retries exhausted, an expired cursor, a revoked credential) is
  raised only after every page read before it is delivered, as if the pages had been read one by one.
- A failed delivery discards the pages read ahead (the read is cancelled; nothing of them was
  published or stored) and raises `DeliveryFailed` with the page that failed. The caller resumes
  from `ChainState.committed` by delivering that page again, from memory, and reading on from the
  cursor that follows it. It is not read again: reading ahead already used the link that follows it,
  and a provider may retire a link once its successor is used (the Graph emulator does, as Graph's
  sync state may): the link to the failed page could answer 410 and cost a full resync.
- A cancelled pass (its deadline) cancels the reader with it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

from services.capture.operations.sync.known import PendingItems
from services.capture.operations.sync.page import ChainProgress, ReadPage, deliver, read_and_plan
from services.capture.operations.sync.pass_env import PassEnv
from services.capture.ports import StoredCursor, StreamPlan


class ChainState:
    """Where a chain stands in the store: the cursor of its last committed page."""

    def __init__(self, committed: StoredCursor) -> None:
        self.committed = committed


async def run_chain(
    env: PassEnv,
    stream: StreamPlan,
    chain: ChainState,
    progress: ChainProgress,
    *,
    undelivered: ReadPage | None = None,
) -> None:
    """Deliver `undelivered` (the page after `chain.committed` whose delivery failed), if any, then
    read and deliver `stream` to the end of its round, moving `chain.committed` with each commit.
    Raises what stopped the chain (a `SyncFault`, `DeliveryFailed`, a port error), never before the
    pages read earlier are delivered, except for `DeliveryFailed`."""
    pipeline = _Pipeline(env, stream, chain, progress)
    if undelivered is not None and not await pipeline.deliver_again(undelivered):
        return
    await pipeline.run()


class _Pipeline:
    def __init__(self, env: PassEnv, stream: StreamPlan, chain: ChainState, progress: ChainProgress) -> None:
        self._env = env
        self._stream = stream
        self._chain = chain
        self._progress = progress
        self._room = asyncio.Semaphore(max(1, env.tuning.pipeline_depth))
        self._handed: asyncio.Queue[ReadPage | Exception] = asyncio.Queue()
        self._pending = PendingItems()
        self._committed_seq = 0
        self._commits = asyncio.Condition()
        self._in_flight = 0

    async def deliver_again(self, page: ReadPage) -> bool:
        """Deliver a page whose delivery failed, before anything is read; False when it ended the round."""
        page.release = await self._env.lanes.admit(full_round=self._chain.committed.full_round)
        try:
            await deliver(self._env, self._stream, page)
        finally:
            page.release()
        self._chain.committed = page.following
        self._env.observer.page_done(self._stream.name, page.plan)
        return not page.following.complete

    async def run(self) -> None:
        reader = asyncio.create_task(self._read_ahead(), name=f"read-ahead:{self._stream.name}")
        try:
            while True:
                handed = await self._handed.get()
                if isinstance(handed, Exception):
                    raise handed
                try:
                    await deliver(self._env, self._stream, handed)
                finally:
                    handed.release()
                await self._committed(handed)
                if handed.following.complete:
                    return
        finally:
            reader.cancel()
            await asyncio.wait({reader})
            while not self._handed.empty():
                left = self._handed.get_nowait()
                if isinstance(left, ReadPage):
                    left.release()  # read ahead, never delivered: its slots go back, nothing else

    async def _committed(self, page: ReadPage) -> None:
        self._chain.committed = page.following
        self._pending.committed(page.seq)
        async with self._commits:
            self._committed_seq = page.seq
            self._commits.notify_all()
        self._env.observer.page_done(self._stream.name, page.plan)

    async def _until_committed(self, seq: int) -> None:
        async with self._commits:
            await self._commits.wait_for(lambda: self._committed_seq >= seq)

    async def _read_ahead(self) -> None:
        cursor = self._chain.committed
        seq = 0
        try:
            while True:
                seq += 1
                await self._room.acquire()
                leave = self._enter()
                try:
                    page = await read_and_plan(
                        self._env,
                        self._stream,
                        cursor,
                        self._progress,
                        self._pending,
                        seq=seq,
                        earlier_committed=functools.partial(self._until_committed, seq - 1),
                    )
                except BaseException:
                    leave()
                    raise
                page.release = _both(page.release, leave)
                self._pending.add(seq, page.plan)
                self._handed.put_nowait(page)
                if page.following.complete:
                    return
                cursor = page.following
        except Exception as exc:  # handed over in order: raised after the pages read before it
            self._handed.put_nowait(exc)

    def _enter(self) -> Callable[[], None]:
        """Count a page into the chain's flight; returns its (idempotent) way out."""
        self._in_flight += 1
        self._env.observer.pages_in_flight(self._stream.name, self._in_flight)
        left = False

        def leave() -> None:
            nonlocal left
            if not left:
                left = True
                self._in_flight -= 1
                self._room.release()

        return leave


def _both(first: Callable[[], None], second: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        first()
        second()

    return run
