"""What the streams of one mailbox pass share, and what they tell the worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.capture.domain.normalize import MailboxIdentity
from services.capture.domain.privacy import CapturePolicy
from services.capture.domain.reconcile import PagePlan
from services.capture.operations.sync.gate import MailboxGate
from services.capture.operations.sync.tuning import Lanes, Tuning
from services.capture.ports import ActivityPublisher, ConnectionInfo, MailboxRef, ProviderConnector, SyncStore


class StreamObserver(Protocol):
    """Told what happens to a stream, for status and metrics. Must not block or raise."""

    def throttled(self, wait_sec: float) -> None: ...

    def resynced(self, stream: str) -> None: ...

    def page_done(self, stream: str, plan: PagePlan) -> None: ...

    def pages_in_flight(self, stream: str, pages: int) -> None:
        """How many pages of the stream's chain are in flight now (read or being read, not committed)."""
        ...


@dataclass(frozen=True)
class PassEnv:
    """Everything the streams of one mailbox pass share."""

    mailbox: MailboxRef
    connection: ConnectionInfo
    connector: ProviderConnector
    store: SyncStore
    publisher: ActivityPublisher
    gate: MailboxGate
    lanes: Lanes
    policy: CapturePolicy
    tuning: Tuning
    observer: StreamObserver
    clock: Callable[[], datetime]
    sleep: Callable[[float], Awaitable[None]]  # injectable for tests

    @property
    def who(self) -> MailboxIdentity:
        return MailboxIdentity(
            tenant_id=self.mailbox.tenant_id,
            rep_id=self.mailbox.rep_id,
            mailbox=self.mailbox.address,
            provider=self.mailbox.provider,
        )
