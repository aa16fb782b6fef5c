"""When is a triggered backfill done? Decided from successive sync-status answers (pure).

A mailbox is done when it is idle after a pass that *started after the trigger*: its last success
moved past the one seen before the trigger, and its lag (time since the start of the pass that last
caught it up) is shorter than the time since the trigger was sent. The second condition keeps a pass
that was already running at trigger time from counting; the capture worker runs another pass after
it, because a trigger during a pass wakes the worker again. A mailbox has failed when it is in the
error state with an error newer than the one seen before the trigger.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JsonObject = Mapping[str, Any]
# Network time between our clock starting and the server reading its own; generous on purpose.
CLOCK_SLACK_SEC = 1.0


class Outcome(enum.Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    GONE = "gone"  # removed while we waited


@dataclass(frozen=True)
class Baseline:
    """What a mailbox's status said before the trigger."""

    last_success_at: str | None
    last_error_at: str | None
    items_captured: int

    @classmethod
    def of(cls, status: JsonObject | None) -> Baseline:
        if status is None:
            return cls(None, None, 0)
        return cls(
            status.get("last_success_at"), status.get("last_error_at"), int(status.get("items_captured") or 0)
        )


def outcome(baseline: Baseline, status: JsonObject | None, *, elapsed_sec: float) -> Outcome:
    if status is None:
        return Outcome.GONE
    state = status.get("state")
    success = status.get("last_success_at")
    if state == "idle" and success and success != baseline.last_success_at:
        lag = status.get("lag_seconds")
        started_before_trigger = isinstance(lag, int | float) and lag > elapsed_sec + CLOCK_SLACK_SEC
        return Outcome.RUNNING if started_before_trigger else Outcome.DONE
    error_at = status.get("last_error_at")
    if state == "error" and error_at and error_at != baseline.last_error_at:
        return Outcome.FAILED
    return Outcome.RUNNING


@dataclass
class BackfillProgress:
    """The mailboxes a backfill follows, their baselines and their latest status and outcome."""

    baselines: dict[str, Baseline]
    statuses: dict[str, JsonObject] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    @classmethod
    def start(cls, mailboxes: Iterable[str], before: Iterable[JsonObject]) -> BackfillProgress:
        by_address = {s["mailbox"]: s for s in before}
        baselines = {m: Baseline.of(by_address.get(m)) for m in mailboxes}
        progress = cls(baselines)
        progress.statuses = {m: by_address[m] for m in baselines if m in by_address}
        progress.outcomes = dict.fromkeys(baselines, Outcome.RUNNING)
        return progress

    def observe(self, statuses: Iterable[JsonObject], *, elapsed_sec: float) -> None:
        """Fold in a fresh sync-status answer; a mailbox's outcome, once final, never changes."""
        by_address = {s["mailbox"]: s for s in statuses}
        for mailbox, baseline in self.baselines.items():
            if self.outcomes[mailbox] is not Outcome.RUNNING:
                continue
            status = by_address.get(mailbox)
            if status is not None:
                self.statuses[mailbox] = status
            self.outcomes[mailbox] = outcome(baseline, status, elapsed_sec=elapsed_sec)

    @property
    def total(self) -> int:
        return len(self.baselines)

    @property
    def finished(self) -> int:
        return sum(1 for o in self.outcomes.values() if o is not Outcome.RUNNING)

    @property
    def done(self) -> bool:
        return self.finished == self.total

    def count(self, wanted: Outcome) -> int:
        return sum(1 for o in self.outcomes.values() if o is wanted)

    @property
    def items_captured(self) -> int:
        return sum(int(s.get("items_captured") or 0) for s in self.statuses.values())

    @property
    def items_added(self) -> int:
        """Items captured since the trigger (a resync of unchanged items adds none: nothing is
        published twice)."""
        return sum(
            max(0, int(s.get("items_captured") or 0) - self.baselines[m].items_captured)
            for m, s in self.statuses.items()
        )

    def states(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for mailbox, status in self.statuses.items():
            if self.outcomes[mailbox] is Outcome.RUNNING:
                state = str(status.get("state"))
                counts[state] = counts.get(state, 0) + 1
        return counts

    def line(self) -> str:
        """`3/5 mailboxes done, 1 failed; running: 1 backfilling; 1,234 items captured`."""
        text = f"{self.count(Outcome.DONE)}/{self.total} mailboxes done"
        if self.count(Outcome.FAILED):
            text += f", {self.count(Outcome.FAILED)} failed"
        if self.count(Outcome.GONE):
            text += f", {self.count(Outcome.GONE)} removed"
        running = ", ".join(f"{n} {state}" for state, n in sorted(self.states().items()))
        if running:
            text += f"; running: {running}"
        return text + f"; {self.items_captured:,} items captured"
