"""When a triggered backfill counts as done, failed or still running."""

from __future__ import annotations

from typing import Any

import pytest

from services.cli.backfill_progress import BackfillProgress, Baseline, Outcome, outcome

T0 = "2026-11-24T10:00:00Z"
T1 = "2026-11-24T10:05:00Z"


def status(mailbox: str = "a@x.example", **fields: Any) -> dict[str, Any]:
    return {"mailbox": mailbox, "state": "idle", "items_captured": 0, "lag_seconds": 0.0, **fields}


@pytest.mark.parametrize(
    ("baseline", "now", "elapsed", "expected"),
    [
        pytest.param(Baseline(None, None, 0), status(state="pending"), 1, Outcome.RUNNING, id="pending"),
        pytest.param(
            Baseline(None, None, 0), status(state="backfilling"), 1, Outcome.RUNNING, id="backfilling"
        ),
        pytest.param(
            Baseline(None, None, 0),
            status(last_success_at=T1, lag_seconds=0.5),
            2,
            Outcome.DONE,
            id="first pass",
        ),
        pytest.param(
            Baseline(T0, None, 0),
            status(last_success_at=T0, lag_seconds=300),
            2,
            Outcome.RUNNING,
            id="idle but not yet a new pass",
        ),
        pytest.param(
            Baseline(T0, None, 0),
            status(last_success_at=T1, lag_seconds=30),
            2,
            Outcome.RUNNING,
            id="a pass that started before the trigger does not count",
        ),
        pytest.param(
            Baseline(T0, None, 0),
            status(last_success_at=T1, lag_seconds=1.5),
            2,
            Outcome.DONE,
            id="a pass that started after the trigger",
        ),
        pytest.param(
            Baseline(T0, None, 0),
            status(state="error", last_error_at=T1, last_success_at=T0),
            2,
            Outcome.FAILED,
            id="new error",
        ),
        pytest.param(
            Baseline(T0, T0, 0),
            status(state="error", last_error_at=T0),
            2,
            Outcome.RUNNING,
            id="the old error is not this backfill's",
        ),
        pytest.param(Baseline(T0, None, 0), None, 2, Outcome.GONE, id="removed meanwhile"),
    ],
)
def test_outcome(baseline: Baseline, now: dict[str, Any] | None, elapsed: float, expected: Outcome) -> None:
    assert outcome(baseline, now, elapsed_sec=elapsed) is expected


def test_progress_folds_answers_and_keeps_final_outcomes() -> None:
    before = [
        status("a@x.example", last_success_at=T0, items_captured=5),
        status("b@x.example", state="pending"),
    ]
    progress = BackfillProgress.start(["a@x.example", "b@x.example"], before)
    assert (progress.total, progress.finished, progress.done) == (2, 0, False)
    progress.observe(
        [
            status("a@x.example", state="backfilling", last_success_at=T0, items_captured=7),
            status("b@x.example", state="error", last_error_at=T1, last_error="revoked: 401"),
        ],
        elapsed_sec=1,
    )
    assert progress.outcomes == {"a@x.example": Outcome.RUNNING, "b@x.example": Outcome.FAILED}
    assert progress.line() == "0/2 mailboxes done, 1 failed; running: 1 backfilling; 7 items captured"
    progress.observe(
        [
            status("a@x.example", last_success_at=T1, items_captured=9, lag_seconds=1.0),
            status("b@x.example", last_success_at=T1, lag_seconds=0.1),  # later success: still failed
        ],
        elapsed_sec=3,
    )
    assert progress.done and progress.count(Outcome.DONE) == 1 and progress.count(Outcome.FAILED) == 1
    assert progress.items_added == 4 and progress.items_captured == 9
    assert progress.statuses["b@x.example"]["state"] == "error"
