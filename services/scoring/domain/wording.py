"""Plain-language phrases for the sentences scores and diagnostics carry: counts people can picture
("on 3 of the last 28 days"), never rates with a decimal zero ("0.0 days a week")."""

from __future__ import annotations


def on_days(days: int, of: int) -> str:
    """How often something happened over a period: "never in the last 28 days", "on 1 of the last
    28 days", "every day of the last 28 days"."""
    if days <= 0:
        return f"never in the last {of} days"
    if days >= of:
        return f"every day of the last {of} days"
    return f"on {days} of the last {of} days"


def per_week(days: int, of: int) -> str:
    """A rate per week in words: "about 4 days a week", "about once a week", "less than once a week",
    "not at all"."""
    if days <= 0 or of <= 0:
        return "not at all"
    rate = days * 7 / of
    if rate < 0.75:
        return "less than once a week"
    if rate < 1.5:
        return "about once a week"
    return f"about {round(rate)} days a week"
