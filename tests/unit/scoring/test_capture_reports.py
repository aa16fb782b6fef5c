"""Capture's word first, the flow second: how capture's health reports decide a rep's capture health,
class and diagnostics (domain/capture_reports.py, capture_health.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.capture_health import CaptureStatus, Source, capture_health
from services.scoring.domain.capture_reports import (
    BROKEN_STATES,
    KNOWN_STATES,
    WORKING_STATES,
    CaptureReport,
    HealthRecord,
    MailboxForgotten,
    MailboxHealthUpdate,
    latest_per_mailbox,
)
from services.scoring.domain.classification import Classification
from services.scoring.domain.diagnostics import rep_diagnostics
from services.scoring.domain.rep_score import score_rep
from services.scoring.domain.score_inputs import CaptureObservation
from tests.unit.scoring.test_scores import AS_OF, SETTINGS, dana

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
MAX_AGE = timedelta(minutes=15)
THREE_WEEKS_AGO = NOW - timedelta(days=21)


def report(
    state: str, *, age: timedelta = timedelta(minutes=1), since: datetime = THREE_WEEKS_AGO
) -> CaptureReport:
    return CaptureReport(state, f"reason for {state}" if state in BROKEN_STATES else "", since, NOW - age)


def observe(
    *reports: CaptureReport, last: date | None = AS_OF - timedelta(days=1), items: int = 130
) -> CaptureObservation:
    return CaptureObservation(last, items, reports=reports, checked_at=NOW, max_report_age=MAX_AGE)


def judge(observation: CaptureObservation) -> CaptureStatus:
    health = capture_health(
        observation, as_of=AS_OF, window_start=AS_OF - timedelta(days=27),
        first_seen=AS_OF - timedelta(days=60), settings=SETTINGS,
    )  # fmt: skip
    return health.status


flows = st.tuples(
    st.one_of(st.none(), st.dates(min_value=AS_OF - timedelta(days=60), max_value=AS_OF)),
    st.integers(min_value=0, max_value=2000),
)


@given(flow=flows, state=st.sampled_from(sorted(BROKEN_STATES)))
def test_a_broken_mailbox_reported_by_capture_wins_over_any_flow(
    flow: tuple[date | None, int], state: str
) -> None:
    last, items = flow
    items = items if last is not None else 0
    assert judge(observe(report(state), last=last, items=items)) is CaptureStatus(state)


@given(flow=flows, state=st.sampled_from(sorted(KNOWN_STATES)))
def test_a_report_older_than_the_bound_is_not_reporting_never_healthy(
    flow: tuple[date | None, int], state: str
) -> None:
    last, items = flow
    old = report(state, age=MAX_AGE + timedelta(seconds=1))
    assert judge(observe(old, last=last, items=items if last else 0)) is CaptureStatus.NOT_REPORTING


@given(flow=flows, state=st.sampled_from(sorted(WORKING_STATES)))
def test_a_working_mailbox_leaves_the_judgement_to_the_flow(
    flow: tuple[date | None, int], state: str
) -> None:
    last, items = flow
    items = items if last is not None else 0
    without = judge(CaptureObservation(last, items))
    assert judge(observe(report(state), last=last, items=items)) is without


def test_without_reports_or_a_clock_only_the_flow_is_judged() -> None:
    revoked = report("revoked")
    assert judge(observe(last=AS_OF - timedelta(days=1))) is CaptureStatus.HEALTHY
    unchecked = CaptureObservation(AS_OF - timedelta(days=1), 130, reports=(revoked,))
    assert judge(unchecked) is CaptureStatus.HEALTHY  # not judged at a moment: capture's word not read


def test_the_worst_mailbox_of_a_rep_decides() -> None:
    assert judge(observe(report("ok"), report("stale"), report("revoked"))) is CaptureStatus.REVOKED
    assert judge(observe(report("ok"), report("stale", age=MAX_AGE * 2))) is CaptureStatus.NOT_REPORTING
    assert judge(observe(report("failing"), report("stale", age=MAX_AGE * 2))) is CaptureStatus.FAILING


def test_a_low_volume_mailbox_revoked_three_weeks_ago_is_named_and_its_rep_not_judged() -> None:
    # Two items in the window, the last three weeks ago: the flow alone says "healthy" (too little
    # history to call it silent), so only capture's word can name it.
    quiet = dana(capture=observe(report("revoked"), last=AS_OF - timedelta(days=21), items=2))
    flow_only = score_rep(replace(quiet, capture=CaptureObservation(AS_OF - timedelta(days=21), 2)), SETTINGS)
    assert flow_only.capture.status is CaptureStatus.HEALTHY
    assert rep_diagnostics([(quiet, flow_only)]) == []

    result = score_rep(quiet, SETTINGS)
    assert result.capture.status is CaptureStatus.REVOKED
    assert result.capture.source is Source.CAPTURE
    assert result.verdict.classification is Classification.INSUFFICIENT_DATA
    (reason,) = result.verdict.reasons
    assert reason.startswith("not judged: mailbox access revoked since 2026-11-06 12:00 UTC")
    assert "reason for revoked" in reason
    (diagnostic,) = rep_diagnostics([(quiet, result)])
    assert diagnostic.kind == "capture_revoked"
    assert diagnostic.severity == "critical"
    assert "revoked since 2026-11-06" in diagnostic.title
    assert ("reason", "reason for revoked") in {(e.label, e.value) for e in diagnostic.evidence}


def test_a_manager_whose_mailbox_capture_reports_broken_is_named_too() -> None:
    boss = dana(rep_id="boss", capture=observe(report("app_revoked")))
    result = score_rep(boss, SETTINGS)
    (diagnostic,) = rep_diagnostics([(boss, result)], managers_only=frozenset({"boss"}))
    assert diagnostic.kind == "capture_app_revoked"


def test_capture_stopped_reporting_is_a_warning_not_a_reconnect() -> None:
    rep = dana(capture=observe(report("ok", age=timedelta(hours=2))))
    result = score_rep(rep, SETTINGS)
    assert result.capture.status is CaptureStatus.NOT_REPORTING
    assert "health is unknown" in result.capture.explanation
    (diagnostic,) = rep_diagnostics([(rep, result)])
    assert (diagnostic.kind, diagnostic.severity) == ("capture_not_reporting", "warning")


def test_a_healthy_report_is_shown_but_changes_no_class() -> None:
    flow_only = score_rep(dana(), SETTINGS)
    with_report = score_rep(dana(capture=observe(report("ok"))), SETTINGS)
    assert with_report.verdict == flow_only.verdict
    assert with_report.capture.status is CaptureStatus.HEALTHY
    assert with_report.capture.source is Source.ACTIVITY
    assert with_report.capture.report is not None and with_report.capture.report.state == "ok"


def test_a_heartbeat_alone_does_not_change_the_score_content() -> None:
    first = score_rep(dana(capture=observe(report("revoked", age=timedelta(minutes=1)))), SETTINGS)
    later = score_rep(dana(capture=observe(report("revoked", age=timedelta(minutes=3)))), SETTINGS)
    assert first.content_hash() == later.content_hash()
    healed = score_rep(dana(capture=observe(report("ok"))), SETTINGS)
    assert healed.content_hash() != first.content_hash()


@pytest.mark.parametrize("forget_last", [True, False])
def test_a_batch_keeps_the_last_record_per_mailbox(forget_last: bool) -> None:
    update = MailboxHealthUpdate("acme", "k1", "dana", report("stale"))
    gone = MailboxForgotten("acme", "k1")
    other = MailboxHealthUpdate("acme", "k2", "eve", report("ok"))
    batch: list[HealthRecord] = [update, other, gone] if forget_last else [gone, other, update]
    assert latest_per_mailbox(batch) == [other, gone if forget_last else update]
