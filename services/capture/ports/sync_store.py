"""The sync engine's view of capture's storage. `adapters/postgres/sync_store.py` implements it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.capture.domain.items import KnownItem
from services.capture.domain.privacy import CapturePolicy
from services.capture.domain.quarantine import Rejected
from services.capture.domain.status import MailboxStatus
from services.capture.ports.connector import ConnectionInfo, MailboxRef, StoredSubscription


@dataclass(frozen=True)
class StoredCursor:
    """Where a stream stands. `value` None means: start the next round from scratch."""

    value: str | None
    scope: str = ""
    complete: bool = False
    full_round: bool = True  # the current round started from scratch (a sweep follows its end)
    generation: int = 1
    consecutive_expiries: int = 0

    def fresh_round(self, *, scope: str, expiries: int | None = None) -> StoredCursor:
        """The next round from scratch: a new generation, so the sweep can tell what it did not see."""
        return StoredCursor(
            value=None,
            scope=scope,
            complete=False,
            full_round=True,
            generation=self.generation + 1,
            consecutive_expiries=self.consecutive_expiries if expiries is None else expiries,
        )


@dataclass(frozen=True)
class SyncTarget:
    """A mailbox the engine should run, with the version of its connection (re-registering restarts it)."""

    mailbox: MailboxRef
    connection_version: str


class SyncStore(Protocol):
    """Capture's persistent sync state. Each method is one transaction.

    Every method may raise `ports.errors.StoreUnavailable` (the database is restarting or unreachable:
    nothing was written, retry later); `connection` and the subscription reads also raise
    `ports.errors.SecretsUnavailable` when a stored secret cannot be opened. Anything else is a bug.
    """

    async def sync_targets(self) -> list[SyncTarget]: ...

    async def connection(self, connection_id: str) -> ConnectionInfo | None:
        """With the credential decrypted; None when the connection was deleted."""
        ...

    async def policy(self, tenant_id: str, rep_id: str) -> CapturePolicy: ...

    async def cursors(self, mailbox_id: int) -> dict[str, StoredCursor]: ...

    async def known_items(self, mailbox_id: int, item_ids: Collection[str]) -> dict[str, KnownItem]: ...

    async def known_in_series(self, mailbox_id: int, series_id: str) -> dict[str, KnownItem]:
        """Published items whose snapshot belongs to the recurring series `series_id`."""
        ...

    async def unseen_items(self, mailbox_id: int, stream: str, generation: int) -> list[str]:
        """Published items of `stream` last seen before `generation`."""
        ...

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
        """Store the page's effects and the cursor that follows it, atomically; `rejected` (the
        page's quarantined items, at `at`) adds to the mailbox's count and sets its last reason."""
        ...

    async def save_cursor(self, mailbox_id: int, stream: str, cursor: StoredCursor) -> None: ...

    async def reset_cursors(self, mailbox_id: int) -> None:
        """Drop every cursor of the mailbox: the next pass resyncs each stream from scratch."""
        ...

    async def status(self, mailbox_id: int) -> MailboxStatus: ...

    async def save_status(self, mailbox_id: int, status: MailboxStatus) -> None:
        """Everything but `items_captured`, which `commit_page` keeps in step with the cursors."""
        ...

    async def subscriptions(self, mailbox_id: int) -> list[StoredSubscription]: ...

    async def all_subscriptions(self) -> list[StoredSubscription]: ...

    async def save_subscription(self, subscription: StoredSubscription) -> None: ...
