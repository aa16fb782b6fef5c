"""Where captured activities go: the rest of the platform (Kafka, gt.activity.captured.v1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.quarantine import Rejected
from services.capture.ports.connector import MailboxRef


class ActivityPublisher(Protocol):
    """Hands normalized activities to the rest of the platform.

    `publish` returns only once the broker has acknowledged every record, so a caller may then store
    the sync cursor that covers them. It raises `ports.errors.PublishFailed` when any record was not
    acknowledged (the caller publishes them again later; ids are deterministic, so that is harmless).
    Any other exception is a bug (for example a record too large for any batch).
    """

    async def publish(self, activities: Sequence[activity_pb2.Activity]) -> None: ...

    async def quarantine(self, mailbox: MailboxRef, stream: str, rejected: Sequence[Rejected]) -> None:
        """Record quarantined items on the dead-letter topic: provider ids and reasons, no content.
        Same acknowledgement contract as `publish` (raises `PublishFailed`)."""
        ...
