"""The end of a backfill: one row per mailbox, a headline and whether it all went well (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text

from services.cli.backfill_progress import BackfillProgress, Outcome
from services.cli.render.admin import state_text
from services.cli.render.formats import DASH, duration, text, timestamp

_OUTCOME_STYLES = {
    Outcome.DONE: "green",
    Outcome.FAILED: "bold red",
    Outcome.GONE: "yellow",
    Outcome.RUNNING: "yellow",
}


@dataclass(frozen=True)
class BackfillSummary:
    table: Table
    headline: str
    ok: bool
    rows: list[dict[str, Any]]

    @property
    def style(self) -> str:
        return "green" if self.ok else "bold red"

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "summary": self.headline, "mailboxes": self.rows}


def backfill_summary(progress: BackfillProgress, *, timed_out: bool, timeout_sec: float) -> BackfillSummary:
    table = Table(title="Backfill", title_justify="left")
    for column in ("mailbox", "rep", "outcome", "state", "items", "new items", "last success", "last error"):
        table.add_column(column, justify="right" if "items" in column else "left", overflow="fold")
    rows: list[dict[str, Any]] = []
    for mailbox in sorted(progress.baselines):
        outcome = progress.outcomes[mailbox]
        status = progress.statuses.get(mailbox, {})
        shown = "unfinished" if outcome is Outcome.RUNNING else outcome.value
        items = int(status.get("items_captured") or 0)
        added = max(0, items - progress.baselines[mailbox].items_captured)
        error = status.get("last_error") or ""
        table.add_row(
            mailbox,
            text(status.get("rep_id")),
            Text(shown, style=_OUTCOME_STYLES[outcome]),
            state_text(str(status.get("state") or "")),
            f"{items:,}",
            f"{added:,}",
            timestamp(status.get("last_success_at")),
            Text(error, style="red") if error and outcome is Outcome.FAILED else DASH,
        )
        rows.append(
            {
                "mailbox": mailbox,
                "rep_id": status.get("rep_id"),
                "outcome": shown,
                "state": status.get("state"),
                "items_captured": items,
                "items_added": added,
                "last_success_at": status.get("last_success_at"),
                "last_error": error or None,
            }
        )
    done = progress.count(Outcome.DONE)
    failed = progress.count(Outcome.FAILED)
    gone = progress.count(Outcome.GONE)
    unfinished = progress.count(Outcome.RUNNING)
    parts = [
        f"{done} of {progress.total} mailbox(es) backfilled",
        f"{progress.items_captured:,} items captured ({progress.items_added:,} new)",
    ]
    if failed:
        parts.append(f"{failed} in error")
    if gone:
        parts.append(f"{gone} removed meanwhile")
    if timed_out and unfinished:
        parts.append(f"{unfinished} not finished after {duration(timeout_sec)}")
    ok = done == progress.total
    headline = ("backfill complete: " if ok else "backfill incomplete: ") + ", ".join(parts)
    return BackfillSummary(table, headline, ok, rows)
