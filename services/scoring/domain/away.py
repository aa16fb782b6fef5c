"""Out of office: the away periods capture publishes, and what they change in a rep's scores.

A rep is not judged on days they were away (their calendar said out of office), nor on days before
their start date: those days are taken out of every period's counters and out of its length, so the
expectations (logins per week, ...) are prorated over the days the rep was present. A week with no
day present is not scored and says "away". A silent mailbox whose rep is away reads "away", not
"silent": nothing is wrong with it, so nobody is told to reconnect it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta

from groundtruth.activity.v1 import activity_pb2
from services.scoring.domain.capture_health import CaptureHealth, CaptureStatus
from services.scoring.domain.instants import US_PER_DAY, business_days_between, is_business_day, timestamp_us
from services.scoring.domain.records import Version

AWAY = activity_pb2.ACTIVITY_KIND_AWAY
LONGEST_AWAY_US = 366 * US_PER_DAY  # as capture's longest meeting: anything longer is not a real entry


class InvalidAwayPeriod(ValueError):
    """An away activity that can never be stored; the message says why."""


@dataclass(frozen=True, slots=True)
class AwayPeriod:
    """One version of an out-of-office entry of one rep (`removed`: deleted, cancelled or no longer
    out of office)."""

    id: str
    event_id: str
    tenant_id: str
    rep_id: str
    starts_us: int
    ends_us: int
    removed: bool
    modified_us: int
    observed_us: int

    @property
    def version(self) -> Version:
        return (self.modified_us, self.event_id)


def away_from_proto(activity: activity_pb2.Activity) -> AwayPeriod:
    """An already validated Activity of kind AWAY; raises `InvalidAwayPeriod` for absurd periods."""
    starts, ends = timestamp_us(activity.occurred_at), timestamp_us(activity.end_at)
    removed = activity.is_deletion or activity.is_cancelled
    if not removed:
        if not activity.HasField("end_at") or ends < starts:
            raise InvalidAwayPeriod("away period has no end, or ends before it starts")
        if ends - starts > LONGEST_AWAY_US:
            raise InvalidAwayPeriod("away period is longer than a year")
    return AwayPeriod(
        activity.id,
        activity.event_id or activity.id,
        activity.tenant_id,
        activity.rep_id,
        starts,
        max(ends, starts),
        removed,
        timestamp_us(activity.source_modified_at),
        timestamp_us(activity.observed_at),
    )


def present_days(first: date, last: date, *, start_date: date | None, away: Collection[date]) -> int:
    """Days of [first, last] the rep is judged on: on or after their start date and not away."""
    begin = max(first, start_date) if start_date is not None else first
    if begin > last:
        return 0
    return (last - begin).days + 1 - sum(1 for d in away if begin <= d <= last)


_FLOW_STATES = frozenset({CaptureStatus.HEALTHY, CaptureStatus.SILENT})


def with_away(
    health: CaptureHealth, *, away: Collection[date], as_of: date, silence_days: float
) -> CaptureHealth:
    """The mailbox's health once the rep's away days are known.

    "away" when the rep is away today or yesterday (no mail is expected), or when the silence after
    the last captured item is silence only because the rep was away: fewer than `silence_days`
    business days of it were days the rep was present. Missing capture stays missing: a rep whose
    mailbox never delivered anything is not excused by a calendar entry.
    """
    if health.status not in _FLOW_STATES or not away:
        # Capture's own word about a broken mailbox (revoked, failing, stale, not reporting) stands
        # whatever the calendar says; missing capture is not excused by a calendar entry either.
        return health
    yesterday = as_of - timedelta(days=1)
    away_now = as_of in away or yesterday in away
    explained = False
    if health.status is CaptureStatus.SILENT and health.last_activity_date is not None:
        first = health.last_activity_date + timedelta(days=1)
        away_business = sum(1 for d in away if first <= d <= yesterday and is_business_day(d))
        present_silence = business_days_between(first, yesterday) - away_business
        explained = present_silence < silence_days
    if not (away_now or explained):
        return health
    last = health.last_activity_date
    after = sorted(d for d in away if last is None or d >= last)
    since = after[0] if after else max(away)
    return replace(
        health,
        status=CaptureStatus.AWAY,
        explanation=(
            f"the rep is out of office by their calendar (away from {since.isoformat()}); the mailbox "
            "is not expected to deliver meanwhile, and the rep is not judged on the days away"
        ),
    )
