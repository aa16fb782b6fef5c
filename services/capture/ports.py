"""What capture's domain needs from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from groundtruth.activity.v1 import activity_pb2


class ActivityPublisher(Protocol):
    """Hands normalized activities to the rest of the platform.

    `publish` returns only once the broker has acknowledged every record, so a caller may then store
    the sync cursor that covers them. It raises if any record was not acknowledged.
    """

    async def publish(self, activities: Sequence[activity_pb2.Activity]) -> None: ...
