"""What capture tells the rest of the platform about each mailbox's health (gt.capture.health.v1).

A mailbox's `MailboxStatus` (domain/status.py) becomes one of a few states other services can act on:

    ok          the last pass reached the end of every chain (idle, syncing, or throttled after one)
    syncing     no pass has succeeded yet (pending, first pass, backfill)
    throttled   the provider asks us to wait, and no pass has succeeded yet
    stale       busy or waiting, but importing nothing (see domain/status.py)
    revoked     a token for the mailbox is refused (consent withdrawn, user disabled, ...)
    app_revoked the app credential itself was revoked at the authority
    rejected    the provider refuses the mailbox's requests (not found, forbidden, ...)
    failing     any other error (provider unavailable, change chain expired twice, ...)

The reason is one of a few fixed sentences, never the provider's message: a provider's error text
may carry an address, and this topic carries no personal data beyond the rep id. Pure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.capture.domain.status import FaultKind, MailboxStatus, SyncState


class HealthState(StrEnum):
    OK = "ok"
    SYNCING = "syncing"
    THROTTLED = "throttled"
    STALE = "stale"
    REVOKED = "revoked"
    APP_REVOKED = "app_revoked"
    REJECTED = "rejected"
    FAILING = "failing"


_ERROR_STATES = {
    FaultKind.REVOKED.value: (HealthState.REVOKED, "the provider no longer accepts the mailbox's token"),
    FaultKind.APP_REVOKED.value: (HealthState.APP_REVOKED, "the app credential was revoked at the authority"),
    FaultKind.REJECTED.value: (HealthState.REJECTED, "the provider refuses the mailbox's requests"),
    FaultKind.UNAVAILABLE.value: (HealthState.FAILING, "the provider has been unavailable"),
    FaultKind.CURSOR_EXPIRED.value: (HealthState.FAILING, "the change chain expired again after a resync"),
    FaultKind.THROTTLED.value: (HealthState.FAILING, "the provider kept throttling the mailbox"),
}
_STALLED = "a chain made no progress or a pass ran past its deadline"


@dataclass(frozen=True)
class Health:
    """A mailbox's health as published: the state and why (empty when ok)."""

    state: HealthState
    reason: str = ""


def health_of(status: MailboxStatus, *, stale_after_polls: float) -> Health:
    """`status` as judged now (`MailboxStatus.judged`), in the published states."""
    if status.state is SyncState.ERROR:
        kind = status.last_error.split(":", 1)[0]
        state, reason = _ERROR_STATES.get(kind, (HealthState.FAILING, "the last pass failed"))
        return Health(state, reason)
    if status.state is SyncState.STALE:
        if status.last_error.startswith(FaultKind.STALLED.value) and (
            status.last_success_at is None
            or (status.last_error_at is not None and status.last_error_at >= status.last_success_at)
        ):
            return Health(HealthState.STALE, _STALLED)
        return Health(HealthState.STALE, f"no pass succeeded for {stale_after_polls:g} poll intervals")
    if status.last_success_at is None:
        if status.state is SyncState.THROTTLED:
            return Health(HealthState.THROTTLED, "the provider asks capture to slow down")
        return Health(HealthState.SYNCING, "the first pass has not finished yet")
    return Health(HealthState.OK)


def mailbox_key(tenant_id: str, provider: str, address: str) -> str:
    """Names a mailbox on the health topic without its address: stable across re-registrations."""
    digest = hashlib.blake2b(f"{tenant_id}\x00{provider}\x00{address}".encode(), digest_size=12)
    return digest.hexdigest()


@dataclass(frozen=True)
class Published:
    """What was last published for a mailbox (kept so `since` survives restarts)."""

    tenant_id: str
    mailbox_key: str
    rep_id: str
    health: Health
    since: datetime


def next_published(previous: Published | None, current: Published) -> Published | None:
    """The record to publish when `current` differs from `previous` in state, reason or rep (None:
    nothing changed). `since` moves only when the state changes."""
    if previous is None:
        return current
    if (previous.health, previous.rep_id) == (current.health, current.rep_id):
        return None
    if previous.health.state is current.health.state:
        return Published(
            current.tenant_id, current.mailbox_key, current.rep_id, current.health, previous.since
        )
    return current
