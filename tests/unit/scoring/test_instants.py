"""Day boundaries in UTC, as the SQL queries receive them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.scoring.domain.instants import datetime_to_us, day_start, day_start_us


def test_a_day_starts_at_midnight_utc_and_agrees_with_the_microsecond_form() -> None:
    for day in (date(1970, 1, 1), date(1969, 12, 31), date(2026, 2, 28), date(2026, 11, 24)):
        start = day_start(day)
        assert start == datetime(day.year, day.month, day.day, tzinfo=UTC)
        assert datetime_to_us(start) == day_start_us(day)
