"""The weekly digest and the threshold alerts, as pure rules; delivery backoff."""

from __future__ import annotations

from datetime import date, timedelta

from services.scoring.domain.playbook.feedback import (
    MetricState,
    RecordToFix,
    TeamFinding,
    alerts,
    weekly_digests,
)
from services.scoring.operations.notifications import MAX_ATTEMPTS, retry_delay

MONDAY = date(2026, 11, 30)
NAMES = {"east": "East"}


def state(value: float | None, target: float, higher: bool = True) -> MetricState:
    meets = value is not None and (value >= target if higher else value <= target)
    return MetricState(value, target, meets, higher)


def test_the_digest_says_what_improved_what_got_worse_and_the_records_to_fix() -> None:
    now = {
        "east": {
            "weekly_active_users": state(0.9, 0.8),
            "pipeline_without_activity_7d": state(0.3, 0.2, False),
        }
    }
    week_ago = {
        "east": {
            "weekly_active_users": state(0.7, 0.8),
            "pipeline_without_activity_7d": state(0.1, 0.2, False),
        }
    }
    records = {
        "east": [
            RecordToFix("opportunity", f"o{n}", f"Deal {n}", "r1", "Ann", "Budget empty") for n in range(7)
        ]
    }
    [digest] = weekly_digests("t", MONDAY, now, week_ago, records, NAMES)
    assert digest.id == "digest:east:2026-W49"
    assert digest.title == "East: weekly data-quality digest, week 2026-W49"
    assert "improved: weekly active users: 70% -> 90% (target 80%)" in digest.lines
    assert "got worse: open pipeline without activity in 7 days: 10% -> 30% (target 20%)" in digest.lines
    assert "below target: open pipeline without activity in 7 days 30%" in digest.lines
    assert [r.crm_id for r in digest.records] == ["o0", "o1", "o2", "o3", "o4"]  # five, worst first


def test_without_last_weeks_snapshot_the_digest_says_so_rather_than_claiming_no_change() -> None:
    [digest] = weekly_digests("t", MONDAY, {"east": {"dau_mau": state(0.5, 0.6)}}, {}, {}, NAMES)
    assert digest.lines[0] == "no snapshot a week ago: changes are shown from next week"
    assert not any(line.startswith("improved") for line in digest.lines)


def test_a_metric_crossing_its_target_alerts_once_a_day_either_way() -> None:
    yesterday = {"east": {"weekly_active_users": state(0.85, 0.8), "dau_mau": state(0.5, 0.6)}}
    today = {"east": {"weekly_active_users": state(0.75, 0.8), "dau_mau": state(0.65, 0.6)}}
    found = {n.title: n for n in alerts("t", MONDAY, today, yesterday, [], NAMES)}
    assert set(found) == {
        "East: weekly active users fell below its target (75%)",
        "East: daily active users reached its target (65%)",
    }
    assert (
        found["East: daily active users reached its target (65%)"].id
        == "alert_metric_crossed:east:dau_mau:2026-11-30"
    )
    assert alerts("t", MONDAY, today, today, [], NAMES) == []  # no crossing: nothing


def test_stale_pipeline_and_findings_alert_with_stable_ids() -> None:
    today = {"east": {"pipeline_without_activity_7d": state(0.4, 0.2, False)}}
    findings = [
        TeamFinding("east", "capture_silent", "r1:2026-11-20", "the mailbox of Ann is silent: ..."),
        TeamFinding("east", "unknown_contacts", "east", "3 people are not contacts"),
        TeamFinding("east", "stage_pile_up", "east", "not an alert"),
    ]
    ids = sorted(n.id for n in alerts("t", MONDAY, today, {}, findings, NAMES))
    assert ids == [
        "alert_mailbox_broken:east:r1:2026-11-20",  # one per incident, however long it lasts
        "alert_missing_contacts:east:east:2026-W49",  # once a week
        "alert_stale_opportunities:east:2026-W49",
    ]
    tuesday = alerts("t", MONDAY + timedelta(days=1), today, {}, findings, NAMES)
    assert sorted(n.id for n in tuesday) == ids  # the same week: the same ids, nothing sent twice


def test_retries_back_off_to_at_most_an_hour() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert retry_delay(MAX_ATTEMPTS + 10) == timedelta(hours=1)
