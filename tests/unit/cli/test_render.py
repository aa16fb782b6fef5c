"""The renderers show the API's numbers, formatted for people (pure: dicts in, text out)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.cli.backfill_progress import BackfillProgress
from services.cli.render import admin, formats, reports
from services.cli.render.backfill import backfill_summary
from tests.unit.cli.support import rendered

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "-"), (0.4, "0 s"), (42, "42 s"), (185, "3 m 05 s"), (3720, "1 h 02 m"), (90_000, "1 d 01 h")],
)
def test_duration(seconds: float | None, shown: str) -> None:
    assert formats.duration(seconds) == shown


def test_small_formats() -> None:
    assert formats.timestamp("2026-11-24T10:29:09.989261Z") == "2026-11-24 10:29"
    assert formats.timestamp(None) == formats.timestamp("garbage") == "-"
    assert formats.ago("2026-11-24T11:58:00Z", NOW) == "2026-11-24 11:58 (2 m 00 s ago)"
    assert formats.ago(None, NOW) == "never"
    assert formats.percent(0.8125) == "81.2 %" and formats.percent(None) == "-"
    assert formats.score(72.04) == "72.0" and formats.amount(125000.0) == "125,000"


def test_status_table_shows_state_success_error_items_and_lag() -> None:
    statuses = [
        {
            "mailbox": "bob@acme.example",
            "rep_id": "rep-bob",
            "connection_id": "m365",
            "state": "error",
            "last_success_at": "2026-11-24T09:00:00Z",
            "last_error": "revoked: HTTP 401",
            "last_error_at": "2026-11-24T11:00:00Z",
            "items_captured": 1234,
            "lag_seconds": 10_800.0,
        },
        {
            "mailbox": "ann@acme.example",
            "rep_id": "rep-ann",
            "connection_id": "m365",
            "state": "idle",
            "last_success_at": "2026-11-24T11:59:30Z",
            "last_error": "",
            "items_captured": 7,
            "lag_seconds": 31.0,
        },
    ]
    text = rendered(admin.status_table(statuses, now=NOW))
    ann, bob = (next(line for line in text.splitlines() if name in line) for name in ("ann@", "bob@"))
    assert text.index("ann@") < text.index("bob@")  # sorted by mailbox
    assert "idle" in ann and "2026-11-24 11:59 (30 s ago)" in ann and " 7 " in ann and "31 s" in ann
    assert "error" in bob and "1,234" in bob and "3 h 00 m" in bob and "revoked: HTTP 401" in bob
    assert admin.status_summary(statuses) == "2 mailboxes: 1 idle, 1 error"
    assert "no mailboxes" in rendered(admin.status_table([], now=NOW))


def test_scores_table_lowest_adoption_first_with_class_and_reasons() -> None:
    scores = [
        {
            "rep_id": "rep-a",
            "team_id": "east",
            "adoption_score": 88.2,
            "data_quality_score": 91.0,
            "classification": "adopter",
            "reasons": ["logs within a day"],
            "capture": {"status": "healthy"},
        },
        {
            "rep_id": "rep-g",
            "team_id": "east",
            "adoption_score": 3.0,
            "data_quality_score": 40.5,
            "classification": "ghost",
            "reasons": ["no CRM use in 14 days", "42 meetings captured"],
            "capture": {"status": "healthy"},
        },
    ]
    text = rendered(reports.scores_table(scores))
    assert text.index("rep-g") < text.index("rep-a")
    ghost = next(line for line in text.splitlines() if "rep-g" in line)
    assert " 3.0 " in ghost and " 40.5 " in ghost
    assert "ghost" in ghost and "no CRM use in 14 days; 42 meetings captured" in ghost
    assert " 88.2 " in text and " 91.0 " in text


def test_score_detail_lists_inputs_and_trend() -> None:
    score = {
        "rep_id": "rep-a",
        "team_id": "east",
        "window_start": "2026-10-28",
        "window_end": "2026-11-24",
        "adoption_score": 50.0,
        "data_quality_score": 60.0,
        "classification": "workarounder",
        "reasons": ["logs late"],
        "adoption_inputs": [
            {
                "name": "crm_login_days",
                "value": 2.5,
                "target": 4,
                "weight": 30.77,
                "contribution": 19.2,
                "unit": "days_per_week",
                "explanation": "2.5 days a week",
            }
        ],
        "data_quality_inputs": [
            {
                "name": "capture_coverage",
                "value": 0.5,
                "target": 0.8,
                "weight": 100,
                "contribution": 62.5,
                "unit": "ratio",
                "explanation": "half matched",
            }
        ],
        "trend": [
            {
                "week_start": "2026-11-16",
                "adoption_score": 40.0,
                "data_quality_score": 0,
                "has_data_quality": False,
            }
        ],
        "capture": {"status": "silent", "explanation": "nothing for 3 days"},
    }
    text = rendered(reports.score_detail(score))
    assert "workarounder" in text and "- logs late" in text
    assert "crm login days" in text and "2.5 days per week" in text and "19.2" in text
    assert "capture coverage" in text and "50.0 %" in text and "80.0 %" in text
    assert "2026-11-16" in text and "capture: silent - nothing for 3 days" in text


def test_health_against_targets_and_milestones() -> None:
    health = {
        "team_id": "east",
        "as_of": "2026-11-24",
        "metrics": [
            {
                "name": "weekly_active_users",
                "value": 0.85,
                "target": 0.8,
                "meets_target": True,
                "higher_is_better": True,
                "available": True,
                "explanation": "17 of 20",
            },
            {
                "name": "pipeline_without_activity_7d",
                "value": 0.35,
                "target": 0.2,
                "meets_target": False,
                "higher_is_better": False,
                "available": True,
                "explanation": "7 of 20 deals",
            },
            {
                "name": "required_field_completeness",
                "value": 0,
                "target": 0.8,
                "meets_target": False,
                "higher_is_better": True,
                "available": False,
                "explanation": "not available",
            },
        ],
        "milestones": [
            {
                "days_after_go_live": 30,
                "date": "2026-10-01",
                "reached": True,
                "metrics": [
                    {"name": "weekly_active_users", "value": 0.5, "meets_target": False, "available": True}
                ],
            },
            {"days_after_go_live": 90, "date": "2026-12-30", "reached": False, "metrics": []},
        ],
    }
    text = rendered(reports.health_view(health))
    wau = next(line for line in text.splitlines() if "weekly active users" in line and "%" in line)
    assert "85.0 %" in wau and ">= 80.0 %" in wau and "meets target" in wau
    stale = next(line for line in text.splitlines() if "pipeline without" in line and "%" in line)
    assert "35.0 %" in stale and "<= 20.0 %" in stale and "above target" in stale
    assert "n/a" in text and "team east" in text
    assert "30 days" in text and "50.0 %" in text and "not yet" in text


def test_diagnostics_most_severe_first_with_evidence() -> None:
    diagnostics: list[dict[str, Any]] = [
        {
            "id": "2",
            "severity": "info",
            "kind": "stage_skipped",
            "title": "Stage skipped",
            "recommendation": "r",
            "team_id": "east",
            "evidence": [],
        },
        {
            "id": "1",
            "severity": "critical",
            "kind": "capture_broken",
            "title": "Capture broken for ann",
            "recommendation": "reconnect the mailbox",
            "rep_id": "rep-ann",
            "evidence": [{"label": "last item", "value": "9 days ago"}],
        },
    ]
    text = rendered(reports.diagnostics_table(diagnostics))
    assert text.index("critical") < text.index("info")
    assert "rep rep-ann" in text and "reconnect the mailbox" in text and "last item: 9 days ago" in text
    assert "team east" in text
    assert "nothing points at a root cause" in rendered(reports.diagnostics_table([]))


def test_readiness_and_opportunities() -> None:
    report = {
        "as_of": "2026-11-24",
        "open_opportunities": 40,
        "required_field_completeness": 0.625,
        "stale_open_opportunities": 5,
        "past_close_date_open_opportunities": 3,
        "duplicates": [
            {
                "object_type": "account",
                "reason": "same domain",
                "open_pipeline_amount": 50000.0,
                "records": [{"crm_id": "A1", "name": "Acme"}, {"crm_id": "A2", "name": "ACME Inc"}],
            }
        ],
        "missing_fields": [{"field": "next_step", "empty": 12, "open_opportunities": 40, "empty_share": 0.3}],
        "stale_examples": [{"crm_id": "O9", "name": "Big deal", "owner_rep_id": "rep-a", "amount": 1e5}],
    }
    text = rendered(reports.readiness_view(report))
    assert "62.5 %" in text and "Acme (A1), ACME Inc (A2)" in text and "50,000" in text
    assert "next_step" in text and "30.0 %" in text and "Big deal" in text and "100,000" in text


def test_keys_erasure_and_connections() -> None:
    keys: list[dict[str, Any]] = [
        {
            "key_id": "abc",
            "role": "admin",
            "rep_id": None,
            "name": "first admin",
            "revoked_at": None,
            "created_at": "2026-11-24T10:00:00Z",
            "last_used_at": None,
        },
        {
            "key_id": "def",
            "role": "rep",
            "rep_id": "rep-a",
            "name": "phone",
            "revoked_at": "2026-11-24T11:00:00Z",
            "created_at": "2026-11-24T10:00:00Z",
            "last_used_at": "2026-11-24T10:30:00Z",
        },
    ]
    text = rendered(admin.keys_table(keys))
    assert "active" in text and "revoked 2026-11-24 11:00" in text and "never" in text
    created = {"key": {"key_id": "xyz", "role": "plugin"}, "secret": "gt_xyz_s3cret"}
    assert admin.created_key_lines(created) == [
        "plugin key xyz created",
        "key (shown once, store it now): gt_xyz_s3cret",
    ]
    erasure = {
        "rep_id": "rep-a",
        "capture": {"mailboxes_removed": 1},
        "scoring": {"activities_deleted": 7, "aggregates_deleted": 3, "scores_deleted": 2},
        "revoked_key_ids": ["def"],
    }
    assert admin.erasure_lines(erasure)[1:] == [
        "  capture: 1 mailbox(es) removed",
        "  scoring: 7 activities, 3 daily aggregates, 2 scores deleted",
        "  keys revoked: def",
    ]
    google = {
        "connection_id": "gws",
        "provider": "google",
        "workspace_domain": "acme.example",
        "service_account_email": "sa@p.iam.gserviceaccount.com",
        "has_credentials": True,
    }
    row = next(line for line in rendered(admin.connections_table([google])).splitlines() if "gws" in line)
    assert "acme.example" in row and "sa@p.iam.gserviceaccount.com" in row and "yes" in row


def test_backfill_summary() -> None:
    before = [
        {
            "mailbox": "a@x.example",
            "state": "idle",
            "items_captured": 2,
            "last_success_at": "2026-11-24T09:00:00Z",
        }
    ]
    progress = BackfillProgress.start(["a@x.example", "b@x.example"], before)
    progress.observe(
        [
            {
                "mailbox": "a@x.example",
                "state": "idle",
                "items_captured": 5,
                "last_success_at": "2026-11-24T12:00:00Z",
                "lag_seconds": 0.2,
                "rep_id": "rep-a",
            },
            {
                "mailbox": "b@x.example",
                "state": "error",
                "items_captured": 0,
                "last_error": "revoked: 401",
                "last_error_at": "2026-11-24T12:00:00Z",
                "rep_id": "rep-b",
            },
        ],
        elapsed_sec=2,
    )
    summary = backfill_summary(progress, timed_out=False, timeout_sec=60)
    assert not summary.ok
    assert summary.headline == (
        "backfill incomplete: 1 of 2 mailbox(es) backfilled, 5 items captured (3 new), 1 in error"
    )
    text = rendered(summary.table)
    assert "done" in text and "failed" in text and "revoked: 401" in text
    assert summary.as_json()["mailboxes"][1] == {
        "mailbox": "b@x.example",
        "rep_id": "rep-b",
        "outcome": "failed",
        "state": "error",
        "items_captured": 0,
        "items_added": 0,
        "last_success_at": None,
        "last_error": "revoked: 401",
    }
    unfinished = BackfillProgress.start(["a@x.example"], before)
    late = backfill_summary(unfinished, timed_out=True, timeout_sec=90)
    assert not late.ok and "1 not finished after 1 m 30 s" in late.headline
