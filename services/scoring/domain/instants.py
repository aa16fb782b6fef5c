"""Instants as integer microseconds since the epoch (UTC), and the UTC days they fall on.

The ingest path handles hundreds of thousands of events per second, so it keeps times as integers
and converts to `datetime` only at the edges. Days are UTC calendar days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from google.protobuf.timestamp_pb2 import Timestamp

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1)


def timestamp_us(ts: Timestamp) -> int:
    return ts.seconds * US_PER_SECOND + ts.nanos // 1000


_ONE_US = timedelta(microseconds=1)


def us_to_datetime(us: int) -> datetime:
    # Positional: timedelta's keyword parsing costs three times the addition (this runs per row).
    return EPOCH + timedelta(0, 0, us)


def datetime_to_us(moment: datetime) -> int:
    return (moment - EPOCH) // _ONE_US


@lru_cache(maxsize=4096)
def _day_number_to_date(number: int) -> date:
    return _EPOCH_DAY + timedelta(days=number)


def date_of_day_number(number: int) -> date:
    """The day `number` days after 1970-01-01."""
    return _day_number_to_date(number)


def day_of(us: int) -> date:
    """The UTC calendar day of an instant."""
    return _day_number_to_date(us // US_PER_DAY)


def day_start_us(day: date) -> int:
    return (day - _EPOCH_DAY).days * US_PER_DAY


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return EPOCH + timedelta(days=(day - _EPOCH_DAY).days)


def parse_iso_date(text: str) -> date | None:
    """`yyyy-mm-dd`, or None when empty or malformed (the caller decides whether that is an error)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def is_business_day(day: date) -> bool:
    return day.weekday() < 5


def business_days_between(first: date, last: date) -> int:
    """Business days in [first, last], both included; 0 when last < first."""
    if last < first:
        return 0
    days = (last - first).days + 1
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    for offset in range(rest):
        if is_business_day(first + timedelta(days=full_weeks * 7 + offset)):
            count += 1
    return count
