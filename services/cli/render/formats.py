"""Small formatters shared by the renderers (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table

DASH = "-"


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def timestamp(value: Any) -> str:
    """An RFC 3339 answer as `YYYY-MM-DD HH:MM` UTC (or '-')."""
    parsed = parse_time(value)
    return parsed.strftime("%Y-%m-%d %H:%M") if parsed else DASH


def duration(seconds: float | None) -> str:
    """1 h 02 m, 3 m 05 s, 42 s: a lag or an age, as a person reads it."""
    if seconds is None:
        return DASH
    total = max(0, round(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours:02d} h"
    if hours:
        return f"{hours} h {minutes:02d} m"
    if minutes:
        return f"{minutes} m {secs:02d} s"
    return f"{secs} s"


def ago(value: Any, now: datetime) -> str:
    parsed = parse_time(value)
    if parsed is None:
        return "never"
    return f"{timestamp(value)} ({duration((now - parsed).total_seconds())} ago)"


def percent(ratio: Any) -> str:
    if not isinstance(ratio, int | float):
        return DASH
    return f"{ratio * 100:.1f} %"


def score(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else DASH


def amount(value: Any) -> str:
    return f"{value:,.0f}" if isinstance(value, int | float) and value else DASH


def text(value: Any) -> str:
    return str(value) if value not in (None, "") else DASH


def label(name: str) -> str:
    """`weekly_active_users` -> `weekly active users`."""
    return name.replace("_", " ")


def noted_if_empty(table: Table, note: str) -> Table:
    """An empty table says why it is empty instead of showing bare headers."""
    if table.row_count == 0:
        table.caption = note
    return table
