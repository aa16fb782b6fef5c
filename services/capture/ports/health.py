"""Where capture's per-mailbox health goes (gt.capture.health.v1) and what it remembers of it.

`adapters/kafka_health_publisher.py` and `adapters/postgres/health_store.py` implement them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.capture.domain.health import Published


@dataclass(frozen=True)
class HealthReport:
    """One record of the health topic: what was decided (`published`) and the figures beside it."""

    published: Published
    provider: str  # microsoft, google
    last_success_at: datetime | None
    items_rejected: int
    reported_at: datetime


class HealthPublisher(Protocol):
    async def publish(self, reports: Sequence[HealthReport]) -> None:
        """Returns once the broker acknowledged every record; `PublishFailed` when it did not."""
        ...

    async def forget(self, tenant_id: str, mailbox_key: str) -> None:
        """A tombstone under the mailbox's key: it was removed. `PublishFailed` when not acknowledged."""
        ...


class HealthStore(Protocol):
    """The last published state per mailbox; raises `StoreUnavailable` when the database is away."""

    async def published(self) -> list[Published]: ...

    async def save(self, published: Published) -> None: ...

    async def delete(self, tenant_id: str, mailbox_key: str) -> None: ...
