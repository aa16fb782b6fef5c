"""What the gateway's operations need from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from groundtruth.crm.v1 import crm_pb2


class EventPublisher(Protocol):
    """Publishes CRM events to gt.crm.events.v1.

    `publish` returns only once the broker acknowledged every event; it raises
    `UpstreamUnavailable` otherwise (some events may then have been published: their ids are
    stable, so a retry is harmless downstream).
    """

    async def publish(self, events: Sequence[crm_pb2.CrmEvent]) -> None: ...
