"""Sync status and control: how each mailbox is doing, and a pass (or a full resync) on demand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.capture.domain import validation as check
from services.capture.domain.status import MailboxStatus
from services.capture.operations.context import AdminPorts
from services.capture.operations.errors import NotFound
from services.capture.ports import MailboxRef


@dataclass(frozen=True)
class MailboxView:
    """A mailbox and its status as an admin sees it."""

    mailbox: MailboxRef
    status: MailboxStatus


async def mailbox_views(
    admin: AdminPorts,
    *,
    tenant_id: str,
    address: str | None = None,
    mailbox_ids: Sequence[int] | None = None,
) -> list[MailboxView]:
    """The tenant's mailboxes (narrowed as `AdminStore.statuses`), by address. `tenant_id` must be
    checked already."""
    views = []
    for mailbox, stored in await admin.store.statuses(
        tenant_id=tenant_id, address=address, mailbox_ids=mailbox_ids
    ):
        # The running worker knows more than the last saved row (e.g. throttled right now).
        live = admin.sync.live_status(mailbox.mailbox_id)
        views.append(MailboxView(mailbox, live if live is not None else stored))
    return views


async def get_sync_status(admin: AdminPorts, *, tenant_id: str, mailbox: str = "") -> list[MailboxView]:
    """Every mailbox of the tenant, or the one at `mailbox` (none when it is not registered)."""
    tenant = check.tenant_id(tenant_id)
    address = check.mailbox_address(mailbox) if mailbox else None
    return await mailbox_views(admin, tenant_id=tenant, address=address)


async def trigger_sync(
    admin: AdminPorts, *, tenant_id: str, mailbox: str = "", full_resync: bool = False
) -> list[MailboxView]:
    """Wake every mailbox of the tenant, or the one at `mailbox` (`NotFound` when it is not
    registered); `full_resync` restarts each stream from scratch first."""
    tenant = check.tenant_id(tenant_id)
    address = check.mailbox_address(mailbox) if mailbox else None
    targets = await admin.store.statuses(tenant_id=tenant, address=address)
    if address is not None and not targets:
        raise NotFound(f"no mailbox {address!r}")
    ids = [m.mailbox_id for m, _ in targets]
    await admin.sync.trigger(ids, full_resync=full_resync)
    return await mailbox_views(admin, tenant_id=tenant, mailbox_ids=ids)
