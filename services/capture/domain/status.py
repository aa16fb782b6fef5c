"""Per-mailbox sync status: its states, how a pass moves between them, and the bounded-resync rule.

States (as reported by `GetSyncStatus` and the metrics):

    pending ──first pass──► backfilling ──every stream caught up──► idle ◄──► syncing
       any pass ──chain without progress, pass deadline──► stale ──a pass succeeds──► idle
       any state but error ──no successful pass for `stale_after` (a multiple of the poll interval)──► stale
       any pass ──429/Retry-After──► throttled ──retry succeeds──► syncing / backfilling
       any pass ──revoked, rejected, cursor expired twice in a row, retries exhausted──► error
       error ──(slow retry, admin change or TriggerSync) succeeds──► idle

"Lag" is how long ago the mailbox was last known to be completely caught up: everything the provider
held before `caught_up_at` has been published. It grows between passes and never lies low.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import datetime


class SyncState(enum.Enum):
    PENDING = "pending"
    BACKFILLING = "backfilling"
    SYNCING = "syncing"
    IDLE = "idle"
    THROTTLED = "throttled"
    STALE = "stale"  # busy or waiting, but importing nothing: see the module docstring
    ERROR = "error"


class FaultKind(enum.Enum):
    """The classes of failure an admin sees, and the label of the error metrics."""

    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    CURSOR_EXPIRED = "cursor_expired"
    REVOKED = "revoked"
    APP_REVOKED = "app_revoked"  # the app credential itself, at the authority (not one token)
    REJECTED = "rejected"
    STALLED = "stalled"  # a chain without progress or a pass past its deadline: the mailbox is stale


@dataclass(frozen=True)
class MailboxStatus:
    state: SyncState = SyncState.PENDING
    last_success_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    items_captured: int = 0
    resyncs: int = 0
    throttles: int = 0
    errors: int = 0
    caught_up_at: datetime | None = None
    items_rejected: int = 0  # quarantined items (domain/quarantine.py), ever
    last_reject_reason: str = ""  # a `RejectReason` value: never anything from the item
    last_reject_at: datetime | None = None

    def running(self, *, backfilling: bool) -> MailboxStatus:
        if self.state in (SyncState.ERROR, SyncState.STALE):
            # Stay visibly in error until a pass actually succeeds.
            return self
        return dataclasses.replace(self, state=SyncState.BACKFILLING if backfilling else SyncState.SYNCING)

    def throttled(self) -> MailboxStatus:
        state = self.state if self.state in (SyncState.ERROR, SyncState.STALE) else SyncState.THROTTLED
        return dataclasses.replace(self, state=state, throttles=self.throttles + 1)

    def captured(self, count: int) -> MailboxStatus:
        return dataclasses.replace(self, items_captured=self.items_captured + count)

    def rejected(self, count: int, reason: str, *, at: datetime) -> MailboxStatus:
        """`count` items were quarantined; the mailbox's state does not change (the rest flowed)."""
        return dataclasses.replace(
            self, items_rejected=self.items_rejected + count, last_reject_reason=reason, last_reject_at=at
        )

    def resynced(self) -> MailboxStatus:
        return dataclasses.replace(self, resyncs=self.resyncs + 1)

    def succeeded(self, *, pass_started_at: datetime, finished_at: datetime) -> MailboxStatus:
        """Every stream reached the end of its chain in a pass that started at `pass_started_at`."""
        return dataclasses.replace(
            self,
            state=SyncState.IDLE,
            last_success_at=finished_at,
            caught_up_at=pass_started_at,
        )

    def failed(self, kind: FaultKind, message: str, *, at: datetime) -> MailboxStatus:
        return dataclasses.replace(
            self,
            state=SyncState.STALE if kind is FaultKind.STALLED else SyncState.ERROR,
            last_error=f"{kind.value}: {message}"[:500],
            last_error_at=at,
            errors=self.errors + 1,
        )

    def judged(self, now: datetime, *, stale_after_sec: float) -> MailboxStatus:
        """As an admin must see it at `now`: `stale` when the last successful pass (or, before the
        first one, the last error) is older than `stale_after_sec` — a mailbox reading `syncing` or
        `idle` for hours without success is not healthy. Error stays error. Pure."""
        if self.state in (SyncState.ERROR, SyncState.STALE, SyncState.PENDING):
            return self
        last = self.last_success_at
        if last is None or (now - last).total_seconds() <= stale_after_sec:
            return self
        return dataclasses.replace(self, state=SyncState.STALE)

    def lag_seconds(self, now: datetime) -> float | None:
        if self.caught_up_at is None:
            return None
        return max(0.0, (now - self.caught_up_at).total_seconds())


def should_resync(consecutive_expiries: int, *, max_resyncs_in_a_row: int = 1) -> bool:
    """After the `consecutive_expiries`-th expiry in a row (counting this one), resync or give up?

    The count resets whenever the stream reaches the end of its chain. With the default, the first
    expiry restarts the chain; if the restarted chain expires again before it completes, the stream
    goes to the error state instead of looping.
    """
    return consecutive_expiries <= max_resyncs_in_a_row
