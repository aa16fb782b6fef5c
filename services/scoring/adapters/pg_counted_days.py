"""The days a rep is judged on, in SQL: not before their start date, not a day they were away.

Score inputs sum the day counters over `counted` days only, and each period's length is the number
of those days (`domain/away.py::present_days`), so expectations are prorated over the days present.
Away days come from the `rep_away_days` view (migration 0008), start dates from the tenant's people.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeAlias

import asyncpg

from services.scoring.domain.tenant_settings import TenantSettings

PresentDays: TypeAlias = Callable[[date, date], int]

AWAY_DAYS = """
SELECT rep_id, day FROM rep_away_days
WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 AND ($4::text[] IS NULL OR rep_id = ANY($4))
"""


def counted_days(*, last: int, reps: int) -> str:
    """A `rep_days` of the tenant ($1) from $2 to $`last`, of the reps $`reps` (all when null), with a
    `counted` column; the start dates are the two parameters after $`reps` (see `start_dates`)."""
    return f"""(
    SELECT d.*, a.day IS NULL AND d.day >= coalesce(s.start_day, d.day) AS counted
    FROM rep_days d
    LEFT JOIN rep_away_days a ON a.tenant_id = d.tenant_id AND a.rep_id = d.rep_id AND a.day = d.day
    LEFT JOIN unnest(${reps + 1}::text[], ${reps + 2}::date[]) AS s(rep_id, start_day)
        ON s.rep_id = d.rep_id
    WHERE d.tenant_id = $1 AND d.day BETWEEN $2 AND ${last}
      AND (${reps}::text[] IS NULL OR d.rep_id = ANY(${reps}))
) rep_days"""


def start_dates(settings: TenantSettings) -> tuple[list[str], list[date]]:
    """The reps with a configured start date and those dates, as the two parameters `counted_days`
    expects."""
    started: list[tuple[str, date]] = []
    for person in settings.people.values():
        if person.start_date is not None:
            started.append((person.rep_id, person.start_date))
    started.sort()
    return [rep for rep, _ in started], [day for _, day in started]


def away_by_rep(rows: Sequence[asyncpg.Record]) -> dict[str, frozenset[date]]:
    found: dict[str, set[date]] = {}
    for row in rows:
        found.setdefault(row["rep_id"], set()).add(row["day"])
    return {rep: frozenset(days) for rep, days in found.items()}
