"""Capture's own word on a rep's mailboxes (gt.capture.health.v1), judged before the activity flow.

Capture knows when a mailbox is revoked, failing or stale; the flow of activity only shows silence,
and a low-volume mailbox is never silent enough to be noticed. So what capture reports comes first:

1. a broken mailbox (revoked, app_revoked, rejected, failing, stale) is named with capture's reason,
   whatever its volume, and the rep is not judged;
2. a report older than the bound says capture stopped reporting: the mailbox's health is unknown
   ("not_reporting"), never healthy;
3. a fresh ok/syncing/throttled report says nothing against the mailbox: the flow is judged second.

Several mailboxes of one rep: the worst decides. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class Reported(StrEnum):
    """What scoring concludes from capture's reports on one rep."""

    REVOKED = "revoked"
    APP_REVOKED = "app_revoked"
    REJECTED = "rejected"
    FAILING = "failing"
    STALE = "stale"
    NOT_REPORTING = "not_reporting"
    WORKING = "working"  # ok, syncing or throttled: the flow decides


BROKEN_STATES = {
    "revoked": Reported.REVOKED,
    "app_revoked": Reported.APP_REVOKED,
    "rejected": Reported.REJECTED,
    "failing": Reported.FAILING,
    "stale": Reported.STALE,
}
WORKING_STATES = frozenset({"ok", "syncing", "throttled"})
KNOWN_STATES = frozenset(BROKEN_STATES) | WORKING_STATES
# Worst first: a credential problem needs an admin; stale may heal alone; silence of capture is unknown.
_SEVERITY = (
    Reported.APP_REVOKED,
    Reported.REVOKED,
    Reported.REJECTED,
    Reported.FAILING,
    Reported.STALE,
    Reported.NOT_REPORTING,
    Reported.WORKING,
)
_WORDS = {
    Reported.REVOKED: "mailbox access revoked",
    Reported.APP_REVOKED: "the capture app's credential revoked",
    Reported.REJECTED: "mailbox rejected by the provider",
    Reported.FAILING: "mailbox capture failing",
    Reported.STALE: "mailbox capture stale",
}


@dataclass(frozen=True, slots=True)
class CaptureReport:
    """The latest health capture published for one mailbox of the rep."""

    state: str  # one of KNOWN_STATES
    reason: str
    since: datetime
    reported_at: datetime
    last_success_at: datetime | None = None
    items_rejected: int = 0
    provider: str = ""


@dataclass(frozen=True, slots=True)
class ReportedHealth:
    """Capture's word on the rep, judged: the verdict, the mailbox it comes from, and in words."""

    verdict: Reported
    report: CaptureReport
    explanation: str


def judge_reports(
    reports: Sequence[CaptureReport], *, now: datetime, max_age: timedelta
) -> ReportedHealth | None:
    """The worst of the rep's mailboxes as capture reports them at `now` (None: capture reported
    nothing on this rep, so only the flow can be judged)."""
    judged = [_judge(r, now=now, max_age=max_age) for r in reports]
    if not judged:
        return None
    return min(judged, key=lambda h: (_SEVERITY.index(h.verdict), h.report.since))


def _judge(report: CaptureReport, *, now: datetime, max_age: timedelta) -> ReportedHealth:
    if now - report.reported_at > max_age:
        return ReportedHealth(
            Reported.NOT_REPORTING,
            report,
            f"capture has not reported on this mailbox since {_minute(report.reported_at)}: "
            "its health is unknown",
        )
    verdict = BROKEN_STATES.get(report.state)
    if verdict is None:
        return ReportedHealth(Reported.WORKING, report, f"capture reports the mailbox {report.state}")
    reason = f": {report.reason}" if report.reason else ""
    return ReportedHealth(verdict, report, f"{_WORDS[verdict]} since {_minute(report.since)}{reason}")


def _minute(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True, slots=True)
class MailboxHealthUpdate:
    """One record of gt.capture.health.v1: the latest report on one mailbox of `rep_id`."""

    tenant_id: str
    mailbox_key: str
    rep_id: str
    report: CaptureReport


@dataclass(frozen=True, slots=True)
class MailboxForgotten:
    """A tombstone: capture no longer has the mailbox; its last word is forgotten."""

    tenant_id: str
    mailbox_key: str


HealthRecord = MailboxHealthUpdate | MailboxForgotten


def latest_per_mailbox(records: Sequence[HealthRecord]) -> list[HealthRecord]:
    """What a batch leaves per mailbox, in first-seen order: the last record of each key (a topic
    partition keeps one key's records in order), so a batch applies as its records would one by one."""
    last: dict[tuple[str, str], HealthRecord] = {}
    for record in records:
        key = (record.tenant_id, record.mailbox_key)
        last.pop(key, None)
        last[key] = record
    return list(last.values())
