"""Proration, on the real PostgreSQL: whatever the days a rep was away (out-of-office periods of any
length and time of day) and whatever their start date, the score inputs are the sums over the days
present only and last as many days, so the score of a rep with k away days is the score over the
days they were present."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundtruth.crm.v1 import crm_pb2
from plumbing.db.pool import Pool
from services.scoring.adapters.pg_score_inputs import load_rep_inputs
from services.scoring.domain.score_inputs import ActivityTotals
from services.scoring.domain.scores import adoption_inputs, weigh
from services.scoring.domain.tenant_settings import settings_from_config
from tests.integration.scoring.conftest import empty_scoring_tables

pytestmark = pytest.mark.integration
AS_OF = date(2026, 11, 27)
WINDOW = 28
FIRST = AS_OF - timedelta(days=WINDOW - 1)
REP = "rep-1"

# Per window day: (logins, writes, e-mails sent). Away periods: (first day offset, length in hours,
# start hour); a day is away when a period covers 12 hours of it or more.
days = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 3)), min_size=WINDOW,
                max_size=WINDOW)  # fmt: skip
periods = st.lists(
    st.tuples(st.integers(0, WINDOW - 1), st.integers(1, 24 * 6), st.integers(0, 23)), max_size=3
)
start_offsets = st.one_of(st.none(), st.integers(0, WINDOW + 3))


def _away_days(spans: list[tuple[int, int, int]]) -> set[date]:
    """The documented rule, computed independently of the database's view."""
    away: set[date] = set()
    for offset, hours, hour in spans:
        begin = datetime.combine(FIRST + timedelta(days=offset), time(hour), tzinfo=UTC)
        end = begin + timedelta(hours=hours)
        day = begin.date()
        while day <= end.date():
            lo = max(begin, datetime.combine(day, time(0), tzinfo=UTC))
            hi = min(end, datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC))
            if hi - lo >= timedelta(hours=12):
                away.add(day)
            day += timedelta(days=1)
    return away


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(counters=days, spans=periods, start_offset=start_offsets)
async def test_inputs_are_the_sums_over_the_days_present(
    scoring_pool: Pool, counters: list[tuple[int, int, int]], spans: list[tuple[int, int, int]],
    start_offset: int | None,
) -> None:  # fmt: skip
    await empty_scoring_tables(scoring_pool)
    start = FIRST + timedelta(days=start_offset) if start_offset is not None else None
    config = crm_pb2.TenantConfig(
        window_days=WINDOW,
        teams=[crm_pb2.Team(team_id="t", name="t", manager_rep_id="boss", member_rep_ids=[REP])],
        people=[crm_pb2.Person(rep_id=REP, start_date=start.isoformat() if start else "")],
    )
    tenant = settings_from_config("prorate", config)
    for n, (logins, writes, sent) in enumerate(counters):
        await scoring_pool.execute(
            "INSERT INTO rep_days (tenant_id, rep_id, day, logins, crm_writes, emails_sent, items_synced) "
            "VALUES ($1, $2, $3, $4, $5, $6, $6)",
            "prorate", REP, FIRST + timedelta(days=n), logins, writes, sent,
        )  # fmt: skip
    for i, (offset, hours, hour) in enumerate(spans):
        begin = datetime.combine(FIRST + timedelta(days=offset), time(hour), tzinfo=UTC)
        await scoring_pool.execute(
            "INSERT INTO rep_away_periods VALUES ($1, $2, $3, $4, $5, false, 1, 'e')",
            "prorate", f"oof-{i}", REP, begin, begin + timedelta(hours=hours),
        )  # fmt: skip
    # A removed period never counts.
    await scoring_pool.execute(
        "INSERT INTO rep_away_periods VALUES ('prorate', 'gone', $1, $2, $3, true, 1, 'e')",
        REP, datetime.combine(FIRST, time(0), tzinfo=UTC), datetime.combine(AS_OF, time(0), tzinfo=UTC),
    )  # fmt: skip

    [inputs] = await load_rep_inputs(scoring_pool, tenant, as_of=AS_OF, reps=[REP])

    away = _away_days(spans)
    present = [
        (FIRST + timedelta(days=n), c)
        for n, c in enumerate(counters)
        if FIRST + timedelta(days=n) not in away and (start is None or FIRST + timedelta(days=n) >= start)
    ]
    expected = ActivityTotals(
        days=len(present),
        login_days=sum(1 for _, (logins, _, _) in present if logins),
        write_days=sum(1 for _, (_, writes, _) in present if writes),
        crm_use_days=sum(1 for _, (logins, writes, _) in present if logins or writes),
        items_synced=sum(sent for _, (_, _, sent) in present),
        emails_sent=sum(sent for _, (_, _, sent) in present),
    )
    assert inputs.away_days == frozenset(d for d in away if d <= AS_OF)
    assert inputs.window == expected
    # Hence the score: that of a rep who worked exactly the days present.
    assert weigh(adoption_inputs(inputs.window, tenant, None), tenant) == weigh(
        adoption_inputs(expected, tenant, None), tenant
    )
