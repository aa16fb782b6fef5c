"""Ingest of away periods: kept apart from activity ingest, in the batch's transaction.

The latest version of each out-of-office entry wins, whatever the order of arrival; a deletion or a
cancellation removes the period. A calendar entry that comes back as an ordinary meeting (its
"show as" changed from out of office) is no longer a period either. Anything about an erased rep
observed up to the erasure is dropped, as for activity.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.scoring.domain.activities import MEETING, CapturedActivity
from services.scoring.domain.away import AwayPeriod
from services.scoring.domain.ingest_plan import RepRef
from services.scoring.ports import IngestTransaction, WritePlan


def _latest(periods: Sequence[AwayPeriod]) -> list[AwayPeriod]:
    latest: dict[tuple[str, str], AwayPeriod] = {}
    for period in periods:
        key = (period.tenant_id, period.id)
        if key not in latest or period.version > latest[key].version:
            latest[key] = period
    return [latest[k] for k in sorted(latest)]


async def record_away(
    tx: IngestTransaction,
    plan: WritePlan,
    periods: Sequence[AwayPeriod],
    activities: Sequence[CapturedActivity],
    erased: dict[RepRef, int],
) -> int:
    """Write the batch's away periods; marks the reps whose away days may have changed dirty.
    Returns how many were skipped for an erasure."""
    kept = []
    for period in periods:
        erased_us = erased.get((period.tenant_id, period.rep_id))
        if erased_us is None or period.observed_us > erased_us:
            kept.append(period)
    meetings = [
        AwayPeriod(a.id, a.event_id, a.tenant_id, a.rep_id, a.occurred_us, a.occurred_us, True, a.modified_us,
                   a.observed_us)
        for a in activities
        if a.kind == MEETING
    ]  # fmt: skip
    if kept or meetings:
        plan.dirty_reps |= await tx.write_away(_latest(kept), no_longer_away=_latest(meetings))
    return len(periods) - len(kept)
