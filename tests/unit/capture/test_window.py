from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.capture.domain.window import calendar_window


@pytest.mark.parametrize("hours", [0, 5, 24, 24 * 6 + 23, 24 * 7, 24 * 40])
def test_window_always_covers_the_requested_span(hours: int) -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(hours=hours)
    window = calendar_window(now, days_back=30, days_ahead=90, step_days=7)
    assert window.start <= now - timedelta(days=30)
    assert window.end >= now + timedelta(days=90)
    assert window.end - window.start == timedelta(days=127)


def test_window_moves_only_once_per_step() -> None:
    monday = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday
    scopes = {
        calendar_window(monday + timedelta(hours=h), days_back=28, days_ahead=90, step_days=7).scope
        for h in range(0, 24 * 14)
    }
    assert len(scopes) == 2


def test_window_uses_overlap_semantics() -> None:
    window = calendar_window(datetime(2026, 11, 2, tzinfo=UTC), days_back=1, days_ahead=1, step_days=1)
    before = window.start - timedelta(hours=1)
    assert window.contains(before, window.start + timedelta(minutes=1))
    assert not window.contains(before, window.start)
    assert not window.contains(window.end, window.end + timedelta(hours=1))
