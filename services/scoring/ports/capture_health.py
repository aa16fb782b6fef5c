"""Where capture's per-mailbox health is kept: `adapters/pg_capture_health.py` implements it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from services.scoring.domain.capture_reports import HealthRecord


class CaptureHealthStore(Protocol):
    async def apply(self, records: Sequence[HealthRecord]) -> None:
        """In one transaction: keep each mailbox's latest report (an older one never overwrites a
        newer one, so a replay changes nothing), forget tombstoned mailboxes, and mark for
        rescoring the reps whose mailbox's state, reason or since changed. Raises on failure."""
        ...

    async def note_silent(self, *, reported_before: datetime) -> int:
        """Mark for rescoring, once, the reps of mailboxes capture last reported on before
        `reported_before` (capture stopped reporting); returns how many mailboxes."""
        ...
