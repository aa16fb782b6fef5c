"""Stored cursors of the Google walks survive a round trip, and foreign text is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.capture.providers.google.cursors import CalendarCursor, CursorDecodeError, GmailCursor

tokens = st.none() | st.text(min_size=1, max_size=60)


@given(st.integers(min_value=1, max_value=2**64 - 1), tokens)
def test_gmail_round_trip(history_id: int, page: str | None) -> None:
    cursor = GmailCursor(history_id, page)
    assert GmailCursor.decode(cursor.encode()) == cursor
    assert cursor.in_full_sync is (page is not None)


@given(tokens, tokens)
def test_calendar_round_trip(sync: str | None, page: str | None) -> None:
    cursor = CalendarCursor(sync, page)
    assert CalendarCursor.decode(cursor.encode()) == cursor
    assert cursor.in_full_sync is (sync is None)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("12345", id="bare history id"),
        pytest.param('{"v": 2, "h": 1}', id="future version"),
        pytest.param('{"v": 1}', id="missing field"),
        pytest.param('{"v": 1, "h": "abc"}', id="not a number"),
        pytest.param("[1]", id="a list"),
    ],
)
def test_gmail_refuses(text: str) -> None:
    with pytest.raises(CursorDecodeError):
        GmailCursor.decode(text)


@pytest.mark.parametrize(
    "text",
    [pytest.param("", id="empty"), pytest.param('{"v": 3}', id="version"), pytest.param("null", id="null")],
)
def test_calendar_refuses(text: str) -> None:
    with pytest.raises(CursorDecodeError):
        CalendarCursor.decode(text)
