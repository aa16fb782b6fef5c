"""What a page being read knows of earlier items, when earlier pages of its chain are not committed yet.

A pipelined chain (`pipeline.py`) reads page N+1 while page N is still being published and committed,
so the store does not yet hold what page N will remember or forget. A page read ahead must still see
it: a partial update is merged into the snapshot page N publishes, an item page N published is not
published again unchanged, a cancellation of an item page N published is retracted. `PendingItems`
holds the planned effects of the pages read and not yet committed; `PageKnown` answers a page's
questions from them first and from the store second.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from services.capture.domain.items import KnownItem, MeetingItem
from services.capture.domain.reconcile import PagePlan
from services.capture.ports import SyncStore


class PendingItems:
    """The effects of a chain's planned, uncommitted pages: item id → (page number, remembered item,
    or None when the page forgets it). Only the reader adds (in page order) and only the deliverer
    drops (after the page's commit, when the store holds the same). Pure bookkeeping, never blocks."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[int, KnownItem | None]] = {}

    def add(self, seq: int, plan: PagePlan) -> None:
        # The commit writes `remember` and then `forget`: an item in both ends forgotten.
        for known in plan.remember:
            self._items[known.item_id] = (seq, known)
        for item_id in plan.forget:
            self._items[item_id] = (seq, None)

    def committed(self, seq: int) -> None:
        """Page `seq` (and so every page before it) is in the store now."""
        self._items = {i: entry for i, entry in self._items.items() if entry[0] > seq}

    def view(self) -> dict[str, KnownItem | None]:
        """A copy, taken before a store read: pages committed during the read hold the same values."""
        return {i: known for i, (_, known) in self._items.items()}


class PageKnown:
    """`KnownItems` for one page: loads what the connector and the plan ask for, once, seen through
    the chain's pending pages."""

    def __init__(self, store: SyncStore, mailbox_id: int, pending: PendingItems) -> None:
        self._store = store
        self._mailbox_id = mailbox_id
        self._pending = pending
        self._rows: dict[str, KnownItem] = {}
        self._loaded: set[str] = set()

    async def get(self, item_ids: Collection[str]) -> Mapping[str, KnownItem]:
        missing = [i for i in item_ids if i not in self._loaded]
        if missing:
            pending = self._pending.view()
            stored = [i for i in missing if i not in pending]
            if stored:
                self._rows.update(await self._store.known_items(self._mailbox_id, stored))
            for item_id in missing:
                if item_id in pending:
                    self._set(item_id, pending[item_id])
            self._loaded.update(missing)
        return {i: self._rows[i] for i in item_ids if i in self._rows}

    async def in_series(self, series_id: str) -> Mapping[str, KnownItem]:
        pending = self._pending.view()
        found = dict(await self._store.known_in_series(self._mailbox_id, series_id))
        for item_id, known in pending.items():
            if known is not None and _series(known) == series_id:
                found[item_id] = known
            else:
                found.pop(item_id, None)  # forgotten, or moved out of the series, by a pending page
        self._rows.update(found)
        self._loaded.update(found)
        return found

    def _set(self, item_id: str, known: KnownItem | None) -> None:
        if known is None:
            self._rows.pop(item_id, None)
        else:
            self._rows[item_id] = known


def _series(known: KnownItem) -> str:
    return known.snapshot.series_id if isinstance(known.snapshot, MeetingItem) else ""
