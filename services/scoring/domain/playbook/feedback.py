"""Feedback loops: "run weekly data quality reports and share them with the team"; "create automated
alerts for data hygiene issues (stale opportunities, missing contacts)"; "assign a data steward role".

A team's weekly digest says which team-health figures improved and which got worse since the
snapshot a week earlier, and names the five records to fix with their owners. Alerts fire when a
threshold is crossed. Every note has a stable id (its kind, team, subject and period), so the daily
rescore creating it again changes nothing and each is delivered once per incident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

DIGEST_RECORDS = 5


@dataclass(frozen=True, slots=True)
class MetricState:
    value: float | None  # None: not available
    target: float
    meets_target: bool
    higher_is_better: bool


@dataclass(frozen=True, slots=True)
class RecordToFix:
    object_type: str
    crm_id: str
    name: str
    owner_rep_id: str
    owner: str
    problem: str


@dataclass(frozen=True, slots=True)
class Note:
    """A digest or an alert, before delivery."""

    tenant_id: str
    team_id: str
    kind: str
    key: str  # what makes it unique within its kind and team (a week, a rep and day, a metric and day)
    title: str
    lines: tuple[str, ...]
    records: tuple[RecordToFix, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.team_id or '-'}:{self.key}"


@dataclass(frozen=True, slots=True)
class TeamFinding:
    """A diagnostic that is also an alert: its kind, the rep or subject, and its title."""

    team_id: str
    kind: str
    subject: str
    title: str


Health = Mapping[str, Mapping[str, MetricState]]  # team id -> metric name -> state
ALERT_KINDS = {  # diagnostic kind -> alert kind
    "capture_silent": "alert_mailbox_broken",
    "capture_missing": "alert_mailbox_broken",
    "capture_revoked": "alert_mailbox_broken",
    "capture_app_revoked": "alert_mailbox_broken",
    "capture_rejected": "alert_mailbox_broken",
    "capture_failing": "alert_mailbox_broken",
    "capture_stale": "alert_mailbox_broken",
    "capture_not_reporting": "alert_mailbox_broken",
    "unknown_contacts": "alert_missing_contacts",
}
METRIC_LABELS = {
    "weekly_active_users": "weekly active users",
    "dau_mau": "daily active users",
    "required_field_completeness": "required fields complete",
    "pipeline_without_activity_7d": "open pipeline without activity in 7 days",
    "data_quality": "average data quality",
}


def _pct(value: float | None, name: str) -> str:
    if value is None:
        return "unknown"
    return f"{value:.0f}" if name == "data_quality" else f"{value:.0%}"


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _change(label: str, name: str, old: float, state: MetricState) -> str:
    return f"{label}: {_pct(old, name)} -> {_pct(state.value, name)} (target {_pct(state.target, name)})"


def _team(team_id: str, names: Mapping[str, str]) -> str:
    return names.get(team_id) or team_id or "all reps"


def weekly_digests(
    tenant_id: str,
    as_of: date,
    now: Health,
    week_ago: Health,
    records: Mapping[str, Sequence[RecordToFix]],
    names: Mapping[str, str],
    week_of: date | None = None,
) -> list[Note]:
    """One digest per team for the ISO week of `week_of` (default `as_of`), with the figures of the
    snapshot of `as_of`: a digest sent on time without that day's rescore says which day they are
    from. Its id is the team's and week's, so a week never has two. Pure."""
    week = _week(week_of or as_of)
    found = []
    for team_id, metrics in sorted(now.items()):
        before = week_ago.get(team_id)
        improved: list[str] = []
        worse: list[str] = []
        lines: list[str] = []
        for name, state in metrics.items():
            old = before.get(name) if before else None
            label = METRIC_LABELS.get(name, name)
            if state.value is None or old is None or old.value is None:
                continue
            delta = state.value - old.value
            if abs(delta) < 1e-9:
                continue
            better = delta > 0 if state.higher_is_better else delta < 0
            change = _change(label, name, old.value, state)
            (improved if better else worse).append(change)
        if week_of is not None and week_of != as_of:
            lines.append(f"figures as of {as_of.isoformat()}: the last day scoring computed team health")
        if before is None:
            lines.append("no snapshot a week ago: changes are shown from next week")
        lines += [f"improved: {c}" for c in improved] or (["improved: nothing"] if before else [])
        lines += [f"got worse: {c}" for c in worse] or (["got worse: nothing"] if before else [])
        below = [
            f"{METRIC_LABELS.get(n, n)} {_pct(s.value, n)}"
            for n, s in metrics.items()
            if s.value is not None and not s.meets_target
        ]
        lines.append("below target: " + (", ".join(below) if below else "nothing"))
        fix = tuple(records.get(team_id, ())[:DIGEST_RECORDS])
        found.append(
            Note(
                tenant_id, team_id, "digest", week,
                f"{_team(team_id, names)}: weekly data-quality digest, week {week}",
                tuple(lines), fix,
            )
        )  # fmt: skip
    return found


def alerts(
    tenant_id: str,
    as_of: date,
    now: Health,
    yesterday: Health,
    findings: Sequence[TeamFinding],
    names: Mapping[str, str],
) -> list[Note]:
    """Threshold alerts of the day: a broken mailbox, contacts missing from the CRM, stale opportunities
    above target, a team metric crossing its target (either way) since yesterday's snapshot. Pure."""
    found = []
    for f in findings:
        kind = ALERT_KINDS.get(f.kind)
        if kind is not None:
            # A mailbox incident is one alert however long it lasts; missing contacts, once a week.
            key = f.subject if kind == "alert_mailbox_broken" else f"{f.subject}:{_week(as_of)}"
            found.append(
                Note(tenant_id, f.team_id, kind, key, f"{_team(f.team_id, names)}: {f.title}", (f.title,))
            )
    for team_id, metrics in sorted(now.items()):
        stale = metrics.get("pipeline_without_activity_7d")
        if stale is not None and stale.value is not None and not stale.meets_target:
            found.append(
                Note(
                    tenant_id, team_id, "alert_stale_opportunities", _week(as_of),
                    f"{_team(team_id, names)}: {stale.value:.0%} of open pipeline had no activity in 7 days",
                    (f"target: at most {stale.target:.0%}",),
                )
            )  # fmt: skip
        before = yesterday.get(team_id, {})
        for name, state in sorted(metrics.items()):
            old = before.get(name)
            if (
                state.value is None
                or old is None
                or old.value is None
                or old.meets_target == state.meets_target
            ):
                continue
            direction = "reached its target" if state.meets_target else "fell below its target"
            label = METRIC_LABELS.get(name, name)
            found.append(
                Note(
                    tenant_id, team_id, "alert_metric_crossed", f"{name}:{as_of.isoformat()}",
                    f"{_team(team_id, names)}: {label} {direction} ({_pct(state.value, name)})",
                    (_change(label, name, old.value, state),),
                )
            )  # fmt: skip
    return found
