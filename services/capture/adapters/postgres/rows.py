"""Row ↔ value conversions shared by capture's PostgreSQL adapters."""

from __future__ import annotations

import asyncpg

from services.capture.domain.privacy import CaptureLevel, CapturePolicy, DomainSet, Exclusions
from services.capture.domain.status import MailboxStatus, SyncState
from services.capture.ports import MailboxRef

MAILBOX_COLUMNS = "m.mailbox_id, m.tenant_id, m.connection_id, c.provider, m.address, m.rep_id"
STATUS_COLUMNS = (
    "s.state, s.last_success_at, s.last_error, s.last_error_at, s.items_captured, s.resyncs, s.throttles, "
    "s.errors, s.caught_up_at, s.items_rejected, s.last_reject_reason, s.last_reject_at"
)


def mailbox_from(row: asyncpg.Record) -> MailboxRef:
    return MailboxRef(
        mailbox_id=row["mailbox_id"],
        tenant_id=row["tenant_id"],
        connection_id=row["connection_id"],
        provider=row["provider"],
        address=row["address"],
        rep_id=row["rep_id"],
    )


def status_from(row: asyncpg.Record | None) -> MailboxStatus:
    if row is None or row["state"] is None:
        return MailboxStatus()
    return MailboxStatus(
        state=SyncState(row["state"]),
        last_success_at=row["last_success_at"],
        last_error=row["last_error"],
        last_error_at=row["last_error_at"],
        items_captured=row["items_captured"],
        resyncs=row["resyncs"],
        throttles=row["throttles"],
        errors=row["errors"],
        caught_up_at=row["caught_up_at"],
        items_rejected=row["items_rejected"],
        last_reject_reason=row["last_reject_reason"],
        last_reject_at=row["last_reject_at"],
    )


def policy_from(tenant: asyncpg.Record | None, rep: asyncpg.Record | None) -> CapturePolicy:
    return CapturePolicy(
        level=CaptureLevel(tenant["capture_level"]) if tenant else CaptureLevel.METADATA,
        internal_domains=DomainSet.of(tenant["internal_domains"] if tenant else ()),
        tenant_exclusions=Exclusions.of(
            addresses=tenant["excluded_addresses"] if tenant else (),
            domains=tenant["excluded_domains"] if tenant else (),
        ),
        rep_exclusions=Exclusions.of(
            addresses=rep["excluded_addresses"] if rep else (),
            domains=rep["excluded_domains"] if rep else (),
        ),
    )
