"""The outbox of digests and alerts, and the senders that deliver them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.domain.playbook.feedback import RecordToFix


class DeliveryFailed(Exception):
    """A target did not accept a delivery; `reason` is a status code or an error class (no body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DueDelivery:
    tenant_id: str
    notification: scoring_pb2.Notification
    target: str
    attempts: int


class NotificationStore(Protocol):
    """PostgreSQL in production. Every method may block and raises on a store failure; each write is
    its own transaction."""

    async def add(
        self, notes: Sequence[tuple[scoring_pb2.Notification, Sequence[str]]], *, now: datetime
    ) -> int:
        """Store each note with its delivery targets, unless a note with its id exists; returns how
        many were new."""

    async def due(self, *, now: datetime, limit: int) -> list[DueDelivery]:
        """Deliveries not done nor given up whose next attempt is due, oldest first."""

    async def delivered(
        self, tenant_id: str, notification_id: str, target: str, *, now: datetime
    ) -> None: ...

    async def retry_later(
        self, tenant_id: str, notification_id: str, target: str, *, error: str, next_attempt_at: datetime
    ) -> None: ...

    async def given_up(
        self, tenant_id: str, notification_id: str, target: str, *, error: str, now: datetime
    ) -> None: ...

    async def listed(self, tenant_id: str, team_id: str, limit: int) -> list[scoring_pb2.Notification]:
        """Newest first, with their delivery counts."""

    async def records_to_fix(
        self, tenant_id: str, as_of: date, required: Sequence[str], limit: int
    ) -> list[tuple[str, RecordToFix]]:
        """(owner rep, record) of the open opportunities with the most problems (required fields empty,
        no activity in 7 days, a close date past), worst first."""

    async def health_on(self, tenant_id: str, day: date) -> list[scoring_pb2.TeamHealth]:
        """The team-health snapshots stored on `day` (none when scoring kept none)."""

    async def latest_health_days(self, *, since: date, until: date) -> dict[str, date]:
        """Each tenant's newest day with stored team health between `since` and `until`."""


class WebhookSender(Protocol):
    async def send(self, url: str, secret: str, body: bytes) -> None:
        """POST `body` signed with `secret`; raises DeliveryFailed unless the endpoint answered 2xx."""


class MailSender(Protocol):
    async def send(self, recipients: Sequence[str], subject: str, text: str) -> None:
        """Hand one message to the SMTP server; raises DeliveryFailed when it is refused or unreachable."""
