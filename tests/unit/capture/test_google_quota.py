"""Per-user pacing against Google's per-minute limits, and backoff after throttling."""

from __future__ import annotations

import random

import pytest

from services.capture.providers.google.quota import (
    CALENDAR_REQUESTS_PER_USER_MINUTE,
    GMAIL_UNITS_PER_USER_MINUTE,
    QuotaTracker,
    cost,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.mark.parametrize(
    ("api", "method", "units"),
    [
        pytest.param("gmail", "users.getProfile", 1, id="getProfile"),
        pytest.param("gmail", "users.history.list", 2, id="history.list"),
        pytest.param("gmail", "users.messages.list", 5, id="messages.list"),
        pytest.param("gmail", "users.messages.get", 5, id="messages.get"),
        pytest.param("gmail", "users.watch", 100, id="watch"),
        pytest.param("gmail", "users.stop", 50, id="stop"),
        pytest.param("calendar", "events.list", 1, id="calendar request"),
    ],
)
def test_cost_table(api: str, method: str, units: int) -> None:
    assert cost(api, method) == units  # type: ignore[arg-type]


def test_window_slides(clock: Clock) -> None:
    quota = QuotaTracker(clock=clock)
    quota.record("Ana@x", "gmail", "users.messages.get")
    clock.now += 30
    quota.record("ana@x", "gmail", "users.watch")
    assert quota.used("ana@x", "gmail") == 105
    clock.now += 30.5
    assert quota.used("ana@x", "gmail") == 100
    clock.now += 30
    assert quota.used("ana@x", "gmail") == 0


def test_users_and_apis_are_separate(clock: Clock) -> None:
    quota = QuotaTracker(clock=clock)
    quota.record("a@x", "gmail", "users.messages.get")
    quota.record("a@x", "calendar", "events.list")
    assert (quota.used("a@x", "gmail"), quota.used("a@x", "calendar"), quota.used("b@x", "gmail")) == (
        5,
        1,
        0,
    )


def test_pacing_waits_until_the_oldest_calls_leave_the_window(clock: Clock) -> None:
    quota = QuotaTracker(clock=clock, headroom=1.0)
    per_call = 5
    calls = GMAIL_UNITS_PER_USER_MINUTE // per_call
    for n in range(calls):
        clock.now = 1000.0 + n * (30.0 / calls)
        quota.record("a@x", "gmail", "users.messages.get")
    assert quota.used("a@x", "gmail") == GMAIL_UNITS_PER_USER_MINUTE
    clock.now = 1040.0
    # The first call (at t=1000) must leave the window: it does at t=1060.
    assert quota.delay_before("a@x", "gmail", "users.messages.get") == pytest.approx(20.0)
    assert quota.delay_before("b@x", "gmail", "users.messages.get") == 0.0


def test_headroom_keeps_room_for_other_clients(clock: Clock) -> None:
    quota = QuotaTracker(clock=clock, headroom=0.5)
    for _ in range(CALENDAR_REQUESTS_PER_USER_MINUTE // 2):
        quota.record("a@x", "calendar", "events.list")
    assert quota.delay_before("a@x", "calendar", "events.list") == pytest.approx(60.0)


def test_throttle_backoff_grows_and_resets(clock: Clock) -> None:
    quota = QuotaTracker(clock=clock, base_backoff_sec=1.0, max_backoff_sec=8.0, rng=random.Random(1))
    delays = [quota.note_throttled("a@x", "gmail") for _ in range(6)]
    ceilings = [1, 2, 4, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert quota.blocked_for("a@x", "gmail") > 0
    assert quota.blocked_for("b@x", "gmail") == 0.0
    assert quota.blocked_for("a@x", "calendar") == 0.0
    quota.note_success("a@x", "gmail")
    assert quota.note_throttled("a@x", "gmail") <= 1.0


def test_google_hint_wins_but_is_capped(clock: Clock) -> None:
    quota = QuotaTracker(clock=clock, max_backoff_sec=64.0)
    assert quota.note_throttled("a@x", "gmail", retry_after_sec=12.5) == 12.5
    assert quota.delay_before("a@x", "gmail", "users.messages.get") == pytest.approx(12.5)
    clock.now += 12.5
    assert quota.blocked_for("a@x", "gmail") == 0.0
    assert quota.note_throttled("a@x", "gmail", retry_after_sec=3600) == 64.0
