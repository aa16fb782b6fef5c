"""Away days: proration, capture health that reads "away", no reconnect advice, and away periods
that keep their latest version whatever the order of delivery."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundtruth.activity.v1 import activity_pb2
from services.sandbox.synthetic import events as ev
from services.scoring.domain.activities import CapturedActivity, InvalidActivity, decode_activity
from services.scoring.domain.away import AwayPeriod, present_days, with_away
from services.scoring.domain.capture_health import CaptureHealth, CaptureStatus
from services.scoring.domain.classification import Classification
from services.scoring.domain.diagnostics import rep_diagnostics
from services.scoring.domain.instants import datetime_to_us
from services.scoring.domain.rep_score import RepScoreResult, score_rep
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.tenant_settings import Person
from services.scoring.operations.ingest import Decoded, IngestService
from tests.unit.scoring.memory_store import MemoryStore
from tests.unit.scoring.test_scores import AS_OF, SETTINGS, dana

FIRST = AS_OF - timedelta(days=27)
window_days = st.sets(st.integers(0, 40).map(lambda n: FIRST - timedelta(days=6) + timedelta(days=n)))


@given(away=window_days, start=st.one_of(st.none(), window_days.map(lambda s: min(s, default=AS_OF))))
def test_present_days_are_the_days_of_the_period_after_the_start_and_not_away(
    away: set[date], start: date | None
) -> None:
    expected = {
        FIRST + timedelta(days=n)
        for n in range(28)
        if FIRST + timedelta(days=n) not in away and (start is None or FIRST + timedelta(days=n) >= start)
    }
    assert present_days(FIRST, AS_OF, start_date=start, away=away) == len(expected)


def _health(status: CaptureStatus, last: date | None) -> CaptureHealth:
    return CaptureHealth(status, last, 20.0, 0, "as inferred")


FRIDAY = AS_OF
LAST_WEEK = {FRIDAY - timedelta(days=n) for n in range(1, 8)}  # last Friday to yesterday


@pytest.mark.parametrize(
    ("health", "away", "status"),
    [
        pytest.param(
            _health(CaptureStatus.SILENT, FRIDAY - timedelta(days=8)), LAST_WEEK, CaptureStatus.AWAY,
            id="silent while away: away",
        ),
        pytest.param(
            _health(CaptureStatus.HEALTHY, FRIDAY), {FRIDAY}, CaptureStatus.AWAY, id="away today: away"
        ),
        pytest.param(
            _health(CaptureStatus.SILENT, FRIDAY - timedelta(days=14)),
            {FRIDAY - timedelta(days=13)},
            CaptureStatus.SILENT,
            id="one day away does not explain two weeks of silence",
        ),
        pytest.param(
            _health(CaptureStatus.HEALTHY, FRIDAY), {FRIDAY - timedelta(days=20)}, CaptureStatus.HEALTHY,
            id="back from an earlier holiday: healthy",
        ),
        pytest.param(_health(CaptureStatus.MISSING, None), {FRIDAY}, CaptureStatus.MISSING,
                     id="missing stays"),
        *(
            pytest.param(_health(broken, FRIDAY - timedelta(days=8)), LAST_WEEK, broken,
                         id=f"capture's word stands while away: {broken.value}")
            for broken in (CaptureStatus.REVOKED, CaptureStatus.APP_REVOKED, CaptureStatus.FAILING,
                           CaptureStatus.STALE, CaptureStatus.NOT_REPORTING)
        ),
        pytest.param(_health(CaptureStatus.SILENT, FRIDAY - timedelta(days=8)), set(), CaptureStatus.SILENT,
                     id="no away day: unchanged"),
    ],
)  # fmt: skip
def test_capture_health_reads_away_only_when_the_calendar_explains_the_silence(
    health: CaptureHealth, away: set[date], status: CaptureStatus
) -> None:
    found = with_away(health, away=away, as_of=FRIDAY, silence_days=3)
    assert found.status is status
    if status is CaptureStatus.AWAY:
        assert "out of office" in found.explanation


def _away_rep() -> tuple[RepInputs, RepScoreResult]:
    inputs = dana(
        capture=replace(dana().capture, last_item_day=AS_OF - timedelta(days=9)),
        away_days=frozenset(AS_OF - timedelta(days=n) for n in range(9)),
        weeks=(*dana().weeks[:-1], (dana().weeks[-1][0], replace(dana().weeks[-1][1], days=0, login_days=0))),
    )
    return inputs, score_rep(inputs, SETTINGS)


def test_an_away_rep_is_not_judged_and_gets_no_reconnect_diagnostic() -> None:
    inputs, result = _away_rep()
    assert result.capture.status is CaptureStatus.AWAY
    assert result.verdict.classification is Classification.INSUFFICIENT_DATA
    assert rep_diagnostics([(inputs, result)]) == []
    this_week = result.trend[-1]
    assert this_week.away and this_week.adoption is None
    # Without the calendar, the same silence is a broken mailbox with its reconnect advice.
    silent = replace(inputs, away_days=frozenset())
    [diagnostic] = rep_diagnostics([(silent, score_rep(silent, SETTINGS))])
    assert diagnostic.kind == "capture_silent" and "reconnect" in diagnostic.recommendation


def test_a_manager_without_a_mailbox_is_not_flagged_missing() -> None:
    inputs = dana(capture=replace(dana().capture, last_item_day=None, items_in_window=0))
    result = score_rep(inputs, SETTINGS)
    assert result.capture.status is CaptureStatus.MISSING
    assert [d.kind for d in rep_diagnostics([(inputs, result)])] == ["capture_missing"]
    assert rep_diagnostics([(inputs, result)], managers_only=frozenset({"dana"})) == []


def _oof(
    *, modified: datetime, deleted: bool = False, kind: int = activity_pb2.ACTIVITY_KIND_AWAY
) -> Decoded:
    built = ev.away(tenant_id="acme", rep_id="dana", item_id="oof",
                    starts_at=datetime(2026, 11, 2, tzinfo=UTC), ends_at=datetime(2026, 11, 7, tzinfo=UTC),
                    modified_at=modified)  # fmt: skip
    built.kind = kind  # type: ignore[assignment]
    built.is_deletion = deleted
    built.event_id = f"{modified.isoformat()}-{deleted}-{kind}"
    return decode_activity(built.SerializeToString())


def test_an_away_activity_decodes_as_a_period_and_an_absurd_one_is_refused() -> None:
    period = _oof(modified=datetime(2026, 11, 1, tzinfo=UTC))
    assert isinstance(period, AwayPeriod) and not period.removed
    assert period.ends_us - period.starts_us == 5 * 24 * 3600 * 1_000_000
    bad = ev.away(tenant_id="acme", rep_id="dana", item_id="x", starts_at=datetime(2026, 11, 7, tzinfo=UTC),
                  ends_at=datetime(2026, 11, 2, tzinfo=UTC))  # fmt: skip
    with pytest.raises(InvalidActivity, match="ends before it starts"):
        decode_activity(bad.SerializeToString())
    # The same entry shown as busy again is an ordinary meeting, which ends the period on ingest.
    meeting = _oof(modified=datetime(2026, 11, 2, tzinfo=UTC), kind=activity_pb2.ACTIVITY_KIND_MEETING)
    assert isinstance(meeting, CapturedActivity) and meeting.kind == activity_pb2.ACTIVITY_KIND_MEETING


MEETING = activity_pb2.ACTIVITY_KIND_MEETING
T1, T2, T3 = (datetime(2026, 11, d, tzinfo=UTC) for d in (1, 2, 3))


@pytest.mark.parametrize(
    ("batches", "removed"),
    [
        pytest.param([[_oof(modified=T1)]], False, id="stored"),
        pytest.param([[_oof(modified=T2, deleted=True)], [_oof(modified=T1)]], True,
                     id="deletion first wins"),
        pytest.param([[_oof(modified=T1), _oof(modified=T2, deleted=True)]], True, id="one batch"),
        pytest.param([[_oof(modified=T1)], [_oof(modified=T3, kind=MEETING)]], True,
                     id="now an ordinary meeting"),
        pytest.param([[_oof(modified=T3)], [_oof(modified=T1, kind=MEETING)]], False,
                     id="an older meeting version does not remove a newer period"),
    ],
)  # fmt: skip
def test_away_periods_keep_their_latest_version(batches: list[list[Decoded]], removed: bool) -> None:
    store = MemoryStore()
    service = IngestService(store, now_us=lambda: datetime_to_us(T3))
    for batch in batches:
        asyncio.run(service.apply(batch))
    [stored] = store.state.away.values()
    assert stored.removed is removed
    assert ("acme", "dana") in store.state.dirty_reps


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        pytest.param(AS_OF + timedelta(days=3), "starts on 2026-11-30", id="not started yet"),
        pytest.param(None, "out of office (by their calendar) on every day", id="away the whole window"),
    ],
)
def test_a_window_without_a_day_to_judge_is_insufficient_data(start: date | None, reason: str) -> None:
    settings = replace(SETTINGS, people={"dana": Person("dana", start_date=start)})
    inputs = dana(window=replace(dana().window, days=0, login_days=0, write_days=0, crm_use_days=0))
    verdict = score_rep(inputs, settings).verdict
    assert verdict.classification is Classification.INSUFFICIENT_DATA
    assert verdict.reasons[0].startswith(reason)
