"""What the sync engine reports about each mailbox. `adapters/metrics.py` exports it to Prometheus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from services.capture.domain.reconcile import PagePlan
from services.capture.domain.status import FaultKind, MailboxStatus
from services.capture.ports.connector import MailboxRef


class MailboxMetrics(Protocol):
    """The measurements of one captured mailbox, made by its worker.

    Every method is called from the event loop, must return at once and must never raise: a metric
    that cannot be recorded is not a reason to stop capturing.
    """

    def observe(self, status: MailboxStatus) -> None:
        """The mailbox's status changed (state, last success)."""
        ...

    def page(self, plan: PagePlan) -> None:
        """A page was published and committed with this plan."""
        ...

    def throttled(self, wait_sec: float) -> None: ...

    def resynced(self, stream: str) -> None: ...

    def failed(self, kind: FaultKind) -> None:
        """A sync pass failed with this kind of fault."""
        ...

    def subscription_changed(self, action: str) -> None:
        """A push subscription was created, renewed, reauthorized, or its upkeep failed."""
        ...

    def remove(self) -> None:
        """The mailbox is no longer captured here: forget its series."""
        ...


# Called once per worker, when the engine starts capturing a mailbox.
MailboxMetricsFactory = Callable[[MailboxRef], MailboxMetrics]
