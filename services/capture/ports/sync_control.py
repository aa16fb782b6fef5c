"""What the admin use cases ask of the running sync engine (`operations/sync/engine.py::SyncEngine`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.capture.domain.status import MailboxStatus


class SyncControl(Protocol):
    """Keeps the engine in step with an admin's change. Owned by the running capture service."""

    async def reconcile(self) -> None:
        """Re-read the registered mailboxes now and start, restart or stop their workers. Returns once
        done; may raise `StoreUnavailable`."""
        ...

    async def trigger(self, mailbox_ids: Sequence[int], *, full_resync: bool) -> None:
        """Wake these mailboxes for a pass now; with `full_resync` their cursors are dropped first, so
        every stream starts over. May raise `StoreUnavailable`."""
        ...

    def invalidate_policies(self, tenant_id: str) -> None:
        """The tenant's policy or a rep's exclusions changed: the next page reads them again."""
        ...

    def live_status(self, mailbox_id: int) -> MailboxStatus | None:
        """The running worker's status (fresher than the saved row, e.g. throttled right now); None
        when no worker runs the mailbox in this process."""
        ...
