"""Mailboxes: which addresses are captured, through which connection, for which rep; and erasing a
rep's mailboxes and exclusions."""

from __future__ import annotations

from collections.abc import Sequence

from services.capture.domain import validation as check
from services.capture.operations.context import AdminPorts
from services.capture.operations.errors import NotFound
from services.capture.operations.status import MailboxView, mailbox_views
from services.capture.ports import MailboxAssignment


async def upsert_mailboxes(
    admin: AdminPorts, *, tenant_id: str, connection_id: str, mailboxes: Sequence[MailboxAssignment]
) -> list[MailboxView]:
    """Capture these mailboxes through the tenant's connection (moving any that another connection or
    rep had), all or none; returns them with their status. `Invalid`, `NotFound` (connection)."""
    tenant = check.tenant_id(tenant_id)
    if not mailboxes:
        raise check.Invalid("mailboxes: at least one is required")
    if len(mailboxes) > check.MAX_MAILBOXES_PER_CALL:
        raise check.Invalid(f"mailboxes: at most {check.MAX_MAILBOXES_PER_CALL} per call")
    assignments = [
        MailboxAssignment(check.mailbox_address(m.address), check.rep_id(m.rep_id, "mailboxes.rep_id"))
        for m in mailboxes
    ]
    if len({a.address for a in assignments}) != len(assignments):
        raise check.Invalid("mailboxes: an address appears twice")
    connection = await admin.store.get_connection(tenant_id=tenant, connection_id=connection_id)
    if connection is None:
        raise NotFound(f"no connection {connection_id!r}")
    ids = await admin.store.upsert_mailboxes(
        tenant_id=tenant, connection_id=connection.connection_id, assignments=assignments
    )
    await admin.sync.reconcile()
    return await mailbox_views(admin, tenant_id=tenant, mailbox_ids=ids)


async def remove_mailbox(admin: AdminPorts, *, tenant_id: str, address: str) -> None:
    """Stop capturing the mailbox and forget its state; `Invalid`, `NotFound`."""
    tenant = check.tenant_id(tenant_id)
    normalized = check.mailbox_address(address)
    if not await admin.store.remove_mailbox(tenant_id=tenant, address=normalized):
        raise NotFound(f"no mailbox {normalized!r}")
    await admin.sync.reconcile()


async def erase_rep(admin: AdminPorts, *, tenant_id: str, rep_id: str) -> int:
    """Erase what capture holds about a rep (mailboxes, their state, the rep's exclusions) and stop
    capturing them; returns how many mailboxes were removed. Erasing an unknown rep removes none."""
    tenant = check.tenant_id(tenant_id)
    rep = check.rep_id(rep_id)
    removed = await admin.store.erase_rep(tenant_id=tenant, rep_id=rep)
    await admin.sync.reconcile()
    admin.sync.invalidate_policies(tenant)
    return removed
