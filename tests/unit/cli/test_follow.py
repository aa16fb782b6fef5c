"""Following a backfill and watching the sync status, with a scripted gateway and clock."""

from __future__ import annotations

from typing import Any

from services.cli.backfill_progress import BackfillProgress
from services.cli.sync import follow, watch_status
from tests.unit.cli.support import captured_terminal

T0 = "2026-11-24T10:00:00Z"
T1 = "2026-11-24T10:05:00Z"


class Script:
    """Sync-status answers in order (the last repeats) and a clock that a sleep moves forward."""

    def __init__(self, *answers: list[dict[str, Any]]) -> None:
        self.answers = list(answers)
        self.now = 0.0
        self.sleeps = 0

    def fetch(self) -> list[dict[str, Any]]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds

    def clock(self) -> float:
        return self.now


def mailbox(state: str, **fields: Any) -> dict[str, Any]:
    return {"mailbox": "a@x.example", "state": state, "items_captured": 0, "lag_seconds": 0.0, **fields}


def test_follow_prints_a_line_per_change_when_not_on_a_terminal() -> None:
    script = Script(
        [mailbox("backfilling", items_captured=3)],
        [mailbox("backfilling", items_captured=3)],
        [mailbox("backfilling", items_captured=9)],
        [mailbox("idle", items_captured=12, last_success_at=T1, lag_seconds=1.0)],
    )
    terminal, _, err = captured_terminal()
    progress = BackfillProgress.start(["a@x.example"], [mailbox("pending")])
    timed_out = follow(
        progress, script.fetch, terminal, started=0.0, interval_sec=1.0, timeout_sec=60,
        sleep=script.sleep, clock=script.clock,
    )  # fmt: skip
    assert not timed_out and progress.done
    assert err.getvalue().splitlines() == [
        "0/1 mailboxes done; running: 1 backfilling; 3 items captured",
        "0/1 mailboxes done; running: 1 backfilling; 9 items captured",
        "1/1 mailboxes done; 12 items captured",
    ]


def test_follow_draws_a_progress_bar_on_a_terminal() -> None:
    script = Script([mailbox("backfilling")], [mailbox("idle", last_success_at=T1, lag_seconds=0.5)])
    terminal, _, err = captured_terminal(interactive=True)
    progress = BackfillProgress.start(
        ["a@x.example"], [mailbox("idle", last_success_at=T0, lag_seconds=99.0)]
    )
    follow(
        progress, script.fetch, terminal, started=0.0, interval_sec=1.0, timeout_sec=60,
        sleep=script.sleep, clock=script.clock,
    )  # fmt: skip
    drawn = err.getvalue()
    assert "backfill" in drawn and "1/1" in drawn and "━" in drawn


def test_follow_gives_up_at_the_timeout() -> None:
    script = Script([mailbox("backfilling")])
    terminal, _, _ = captured_terminal()
    progress = BackfillProgress.start(["a@x.example"], [])
    assert follow(
        progress, script.fetch, terminal, started=0.0, interval_sec=2.0, timeout_sec=10,
        sleep=script.sleep, clock=script.clock,
    )  # fmt: skip
    assert script.sleeps == 5 and not progress.done


def test_watch_redraws_count_times() -> None:
    calls: list[int] = []

    def fetch() -> list[dict[str, Any]]:
        calls.append(1)
        return [mailbox("idle", items_captured=len(calls), last_success_at=T1)]

    terminal, out, _ = captured_terminal()
    assert watch_status(fetch, terminal, interval_sec=0.5, count=3, sleep=lambda _: None) == 0
    assert len(calls) == 3
    assert "Sync status at" in out.getvalue() and "1 mailbox: 1 idle" in out.getvalue()
