"""The slice of RFC 5545 recurrence the emulator serves: FREQ=DAILY|WEEKLY with INTERVAL, COUNT,
UNTIL and (weekly) BYDAY. Anything else is refused when the event is created, never misexpanded.

Instances are expanded in the fixed UTC offset of the series' first start (no DST shifts): an
emulator simplification documented in docs/capture-google.md."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int
    count: int | None
    until: datetime | None
    by_weekday: tuple[int, ...]


def parse_rule(recurrence: Sequence[str]) -> Rule:
    rules = [line for line in recurrence if line.startswith("RRULE:")]
    if len(rules) != 1 or len(rules) != len(recurrence):
        raise ValueError("the emulator supports exactly one RRULE line and no RDATE/EXDATE")
    parts = dict(part.split("=", 1) for part in rules[0][len("RRULE:") :].split(";") if part)
    freq = parts.pop("FREQ", "")
    if freq not in ("DAILY", "WEEKLY"):
        raise ValueError(f"unsupported FREQ {freq!r}")
    interval = int(parts.pop("INTERVAL", "1"))
    count = int(parts.pop("COUNT")) if "COUNT" in parts else None
    until = _parse_until(parts.pop("UNTIL")) if "UNTIL" in parts else None
    by_day = tuple(sorted(_WEEKDAYS[d] for d in parts.pop("BYDAY").split(","))) if "BYDAY" in parts else ()
    if parts or interval < 1 or (by_day and freq != "WEEKLY") or (count is not None and count < 1):
        raise ValueError(f"unsupported RRULE {rules[0]!r}")
    return Rule(freq, interval, count, until, by_day)


def _parse_until(value: str) -> datetime:
    if len(value) == 8:
        return datetime.strptime(value, "%Y%m%d").replace(tzinfo=UTC) + timedelta(days=1)
    return datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def occurrences(rule: Rule, first: datetime, *, horizon: datetime) -> Iterator[datetime]:
    """Start instants of the series (aware datetimes in `first`'s offset), `first` included,
    stopping at COUNT, UNTIL or `horizon`, whichever comes first."""
    if rule.freq == "DAILY":
        candidates: Iterator[datetime] = (first + timedelta(days=rule.interval * n) for n in _naturals())
    else:
        candidates = _weekly(rule, first)
    for emitted, start in enumerate(candidates, start=1):
        if start > horizon or (rule.until is not None and start > rule.until):
            return
        yield start
        if rule.count is not None and emitted >= rule.count:
            return


def _naturals() -> Iterator[int]:
    n = 0
    while True:
        yield n
        n += 1


def _weekly(rule: Rule, first: datetime) -> Iterator[datetime]:
    days = rule.by_weekday or (first.weekday(),)
    week_start = first - timedelta(days=first.weekday())
    for n in _naturals():
        base = week_start + timedelta(weeks=rule.interval * n)
        for weekday in days:
            start = base + timedelta(days=weekday)
            if start >= first:
                yield start


def basic_format(start: datetime | date) -> str:
    """The instance-id suffix Google uses: 20250106T100000Z, or 20250106 for all-day series."""
    if isinstance(start, datetime):
        return start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return start.strftime("%Y%m%d")
