from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.capture.domain.backoff import MAX_RETRY_AFTER_SEC, Backoff, parse_retry_after, retry_delay

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("2.128", 2.128, id="fractional seconds, as Graph sends them"),
        pytest.param("3", 3.0, id="whole seconds"),
        pytest.param(" 0.5 ", 0.5, id="surrounding spaces"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
        pytest.param("-1", None, id="negative"),
        pytest.param("nan", None, id="not a number"),
        pytest.param("inf", None, id="infinite"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("99999", MAX_RETRY_AFTER_SEC, id="capped"),
        pytest.param("Mon, 02 Nov 2026 09:00:30 GMT", 30.0, id="HTTP date"),
        pytest.param("Mon, 02 Nov 2026 08:00:00 GMT", 0.0, id="HTTP date in the past"),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    ("attempt", "jitter", "expected"),
    [
        pytest.param(0, 0.0, 0.5, id="first attempt, no jitter: half the base"),
        pytest.param(0, 1.0, 1.0, id="first attempt, full jitter: the base"),
        pytest.param(3, 0.5, 6.0, id="doubling"),
        pytest.param(10, 1.0, 60.0, id="capped at max"),
        pytest.param(-2, 0.0, 0.5, id="negative attempt treated as first"),
    ],
)
def test_backoff_delay(attempt: int, jitter: float, expected: float) -> None:
    assert Backoff(initial_sec=1.0, max_sec=60.0).delay(attempt, jitter=jitter) == pytest.approx(expected)


def test_retry_after_wins_over_backoff() -> None:
    backoff = Backoff(initial_sec=10.0, max_sec=60.0)
    assert retry_delay(1.25, attempt=5, backoff=backoff, jitter=0.9) == 1.25
    assert retry_delay(None, attempt=0, backoff=backoff, jitter=0.0) == 5.0
