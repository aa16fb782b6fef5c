"""Diagnostics: the likely root cause of poor adoption, with evidence, phrased as what to change."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from services.scoring.domain.capture_health import CaptureStatus
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.tenant_settings import Team, TenantSettings
from services.scoring.domain.wording import on_days


@dataclass(frozen=True, slots=True)
class Evidence:
    label: str
    value: str
    ref: str = ""
    object_type: str = ""  # what `ref` names: rep, account, contact, opportunity, address


@dataclass(frozen=True, slots=True)
class DuplicateRecord:
    crm_id: str
    name: str
    owner: str  # the owner's display name (or rep id)


@dataclass(frozen=True, slots=True)
class DuplicateSet:
    """One group of probable duplicates, every record of it named."""

    object_type: str
    reason: str
    records: tuple[DuplicateRecord, ...]
    open_pipeline: float


@dataclass(frozen=True, slots=True)
class Playbook:
    """What the playbook adds to a diagnostic: the ADKAR stage, the concrete handle (a peer, the
    fields, an expectation with a date), the words the rep sees, and when it applies."""

    adkar_stage: str = ""
    peer_rep_id: str = ""
    for_rep: str = ""
    applies_from: date | None = None
    expires_on: date | None = None
    due_on: date | None = None
    friction_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Diagnostic:
    tenant_id: str
    team_id: str
    rep_id: str
    kind: str
    severity: str  # info, warning, critical
    title: str
    recommendation: str
    evidence: tuple[Evidence, ...]
    playbook: Playbook | None = None  # the playbook's handle, on the playbook's kinds

    @property
    def id(self) -> str:
        key = "\x00".join((self.tenant_id, self.kind, self.team_id, self.rep_id, self.title))
        return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class FieldFriction:
    field: str
    team_id: str
    open_opportunities: int
    empty: int

    @property
    def empty_share(self) -> float:
        return self.empty / self.open_opportunities if self.open_opportunities else 0.0


@dataclass(frozen=True)
class TeamFacts:
    """What the store knows about one team beyond its members' scores."""

    team: Team
    fields: Sequence[FieldFriction] = ()
    open_by_stage: Mapping[str, int] = field(default_factory=dict)
    skipped_by_stage: Mapping[str, tuple[int, int]] = field(
        default_factory=dict
    )  # stage -> (skipped, passed)
    unknown_contacts: Sequence[tuple[str, int]] = ()  # (address, interactions), most first


def rep_diagnostics(
    results: Sequence[tuple[RepInputs, RepScoreResult]], managers_only: frozenset[str] = frozenset()
) -> list[Diagnostic]:
    """Per-rep capture problems. A manager who is in no team as a member may well have no customer
    mail, so a missing mailbox is only reported for members."""
    found = []
    for inputs, result in results:
        capture = result.capture
        if capture.reported_by_capture:
            found.append(reported_capture_diagnostic(inputs, result))
        elif capture.status is CaptureStatus.SILENT:
            found.append(
                Diagnostic(
                    inputs.tenant_id,
                    inputs.team_id,
                    inputs.rep_id,
                    "capture_silent",
                    "critical" if capture.silent_business_days >= 5 else "warning",
                    f"No activity captured from {result.display_name or inputs.rep_id}'s mailbox for "
                    f"{capture.silent_business_days} business days",
                    "Check and reconnect this mailbox in the capture admin; until it syncs again this rep's "
                    "scores compare the CRM with an incomplete picture and the rep is not classified.",
                    (
                        Evidence(
                            "last captured item",
                            capture.last_activity_date.isoformat() if capture.last_activity_date else "",
                        ),
                        Evidence(
                            "usual items per business day", f"{capture.usual_items_per_business_day:.1f}"
                        ),
                        Evidence("silent business days", str(capture.silent_business_days)),
                        Evidence("mailbox", inputs.rep_id, inputs.rep_id, "rep"),
                    ),
                )
            )
        elif (
            capture.status is CaptureStatus.MISSING
            and inputs.window.crm_use_days > 0
            and inputs.rep_id not in managers_only
        ):
            found.append(
                Diagnostic(
                    inputs.tenant_id,
                    inputs.team_id,
                    inputs.rep_id,
                    "capture_missing",
                    "warning",
                    f"{result.display_name or inputs.rep_id} uses the CRM but no e-mail or meeting of "
                    "theirs is captured",
                    "Connect this rep's mailbox so their real activity can be matched and written back.",
                    (
                        Evidence("days of CRM use in the window", str(inputs.window.crm_use_days)),
                        Evidence("mailbox", inputs.rep_id, inputs.rep_id, "rep"),
                    ),
                )
            )
    return found


_CAPTURE_ADVICE = {
    CaptureStatus.REVOKED: "Reconnect this mailbox: the provider no longer accepts its access (consent "
    "withdrawn, password reset or account disabled).",
    CaptureStatus.APP_REVOKED: "Renew the capture app's credential at the provider (Entra app or Google "
    "service account) and register it again: every mailbox of the connection is affected.",
    CaptureStatus.REJECTED: "Check the mailbox in the capture admin: the provider refuses it (renamed, "
    "deleted or not licensed).",
    CaptureStatus.FAILING: "Check the mailbox in the capture admin; capture retries it on its own.",
    CaptureStatus.STALE: "Capture is running but importing nothing for this mailbox; check it in the "
    "capture admin if it does not heal within the hour.",
    CaptureStatus.NOT_REPORTING: "Check that the capture service is running: it has stopped reporting on "
    "this mailbox, so its health is unknown.",
}


def reported_capture_diagnostic(inputs: RepInputs, result: RepScoreResult) -> Diagnostic:
    """A mailbox capture itself reports broken (or stopped reporting on), named with capture's reason
    whatever its volume: its rep is not judged meanwhile."""
    capture = result.capture
    report = capture.report
    evidence = [Evidence("capture reports", capture.status.value)]
    if report is not None:
        evidence += [
            Evidence("since", report.since.isoformat()),
            Evidence("capture's last report", report.reported_at.isoformat()),
            Evidence(
                "last successful pass",
                report.last_success_at.isoformat() if report.last_success_at else "never",
            ),
        ]
        if report.reason:
            evidence.append(Evidence("reason", report.reason))
        if report.provider:
            evidence.append(Evidence("provider", report.provider))
    evidence.append(Evidence("mailbox", inputs.rep_id, inputs.rep_id, "rep"))
    credential = capture.status in (CaptureStatus.REVOKED, CaptureStatus.APP_REVOKED, CaptureStatus.REJECTED)
    return Diagnostic(
        inputs.tenant_id,
        inputs.team_id,
        inputs.rep_id,
        f"capture_{capture.status.value}",
        "critical" if credential or capture.status is CaptureStatus.FAILING else "warning",
        f"{result.display_name or inputs.rep_id}'s mailbox: {capture.explanation}",
        _CAPTURE_ADVICE.get(capture.status, "Check this mailbox in the capture admin.")
        + " Until then this rep is not judged.",
        tuple(evidence),
    )


def team_diagnostics(
    settings: TenantSettings,
    facts: TeamFacts,
    members: Sequence[tuple[RepInputs, RepScoreResult]],
    manager: RepInputs | None,
) -> list[Diagnostic]:
    th = settings.threshold
    tenant, team = settings.tenant_id, facts.team
    found: list[Diagnostic] = []
    for friction in facts.fields:
        if friction.open_opportunities >= th(
            "friction_min_open_opportunities"
        ) and friction.empty_share >= th("friction_empty_share"):
            reps = sorted({i.rep_id for i, _ in members})
            found.append(
                Diagnostic(
                    tenant,
                    team.team_id,
                    "",
                    "friction_field",
                    "warning",
                    f"The required field {friction.field} is empty on {friction.empty_share:.0%} of "
                    f"{team.name or team.team_id}'s open deals",
                    f"Make {friction.field} optional, or ask for it at a later stage when reps actually "
                    "know it: a field nearly nobody fills is a process problem, not a discipline problem.",
                    (
                        Evidence("field", friction.field),
                        Evidence(
                            "empty on open opportunities",
                            f"{friction.empty} of {friction.open_opportunities}",
                        ),
                        Evidence("reps in the team", str(len(reps))),
                    ),
                )
            )
    found += _manager(settings, team, manager, members)
    found += _write_back(settings, team, members)
    found += _stages(settings, facts)
    if facts.unknown_contacts:
        top = facts.unknown_contacts[:10]
        found.append(
            Diagnostic(
                tenant,
                team.team_id,
                "",
                "unknown_contacts",
                "info",
                f"{len(facts.unknown_contacts)} people the team keeps talking to are not CRM contacts",
                "Create these contacts (or let the CRM plugin create them) so their e-mails and meetings "
                "land on the right accounts and deals.",
                tuple(
                    Evidence(address, f"{count} interactions", address, "address") for address, count in top
                ),
            )
        )
    return found


def _manager(
    settings: TenantSettings,
    team: Team,
    manager: RepInputs | None,
    members: Sequence[tuple[RepInputs, RepScoreResult]],
) -> list[Diagnostic]:
    if not team.manager_rep_id:
        return []
    days = manager.window.days if manager else settings.window_days
    logins = manager.window.login_days if manager else 0
    per_week = logins * 7 / days
    if per_week >= settings.threshold("manager_min_login_days_per_week"):
        return []
    average = sum(r.adoption for _, r in members) / len(members) if members else 0.0
    return [
        Diagnostic(
            settings.tenant_id,
            team.team_id,
            team.manager_rep_id,
            "manager_not_using_crm",
            "warning",
            f"The manager of {team.name or team.team_id} opens the CRM {on_days(logins, days)}",
            "Run the weekly pipeline and forecast reviews from the CRM itself: reps keep up what their "
            "manager looks at.",
            (
                Evidence(
                    "manager",
                    settings.person(team.manager_rep_id).display_name or team.manager_rep_id,
                    team.manager_rep_id,
                    "rep",
                ),
                Evidence(
                    "manager login days", f"{logins} of the last {days} days", team.manager_rep_id, "rep"
                ),
                Evidence("team's average adoption score", f"{average:.0f}"),
            ),
        )
    ]


def _write_back(
    settings: TenantSettings, team: Team, members: Sequence[tuple[RepInputs, RepScoreResult]]
) -> list[Diagnostic]:
    if settings.uses_write_back:
        return []
    # Only the roles expected to log meetings (an SDR's few meetings are not a logging gap).
    members = [m for m in members if settings.for_role(m[1].role).weights.get("manual_logging_rate", 0.0) > 0]
    meetings = sum(i.window.meetings for i, _ in members)
    logged = sum(min(i.window.logged_meetings, i.window.meetings) for i, _ in members)
    if meetings < settings.threshold("write_back_min_meetings"):
        return []
    rate = logged / meetings
    if rate >= settings.threshold("write_back_max_logging_rate"):
        return []
    return [
        Diagnostic(
            settings.tenant_id,
            team.team_id,
            "",
            "write_back_recommended",
            "warning",
            f"{team.name or team.team_id} meets customers far more than the CRM shows "
            f"({rate:.0%} of meetings logged)",
            "Turn on write-back in the CRM plugin: captured meetings and e-mails are then logged "
            "automatically and nobody has to type them in.",
            (
                Evidence("external meetings captured", str(meetings)),
                Evidence("meetings logged by hand", str(logged)),
            ),
        )
    ]


def _stages(settings: TenantSettings, facts: TeamFacts) -> list[Diagnostic]:
    th = settings.threshold
    team = facts.team
    found = []
    total = sum(facts.open_by_stage.values())
    if total >= th("stage_min_open_opportunities"):
        stage, count = max(sorted(facts.open_by_stage.items()), key=lambda item: item[1])
        if count / total > th("stage_pile_up_share"):
            found.append(
                Diagnostic(
                    settings.tenant_id,
                    team.team_id,
                    "",
                    "stage_pile_up",
                    "info",
                    f"{count / total:.0%} of {team.name or team.team_id}'s open deals sit in {stage}",
                    f"Review what it takes to leave {stage}: either its exit criteria are unclear or deals "
                    "that are really lost stay open there.",
                    (Evidence("stage", stage), Evidence("open deals in it", f"{count} of {total}")),
                )
            )
    for stage in settings.stages:
        skipped, passed = facts.skipped_by_stage.get(stage, (0, 0))
        if passed >= th("stage_skip_min_opportunities") and skipped / passed >= th("stage_skip_share"):
            found.append(
                Diagnostic(
                    settings.tenant_id,
                    team.team_id,
                    "",
                    "stage_skipped",
                    "info",
                    f"{skipped / passed:.0%} of the deals that moved past {stage} never went through it",
                    f"Merge {stage} into a neighbouring stage or drop it: reps do not use it.",
                    (Evidence("stage", stage), Evidence("deals that skipped it", f"{skipped} of {passed}")),
                )
            )
    return found


def duplicate_diagnostic(tenant_id: str, groups: Sequence[DuplicateSet]) -> list[Diagnostic]:
    """`groups`: largest first. The evidence names every record of the first ten groups (name, id
    and owner), so each one can be found and merged; a group label alone says too little."""
    if not groups:
        return []
    accounts = sum(1 for g in groups if g.object_type == "account")
    contacts = len(groups) - accounts
    evidence = []
    for number, group in enumerate(groups[:10], start=1):
        evidence.append(
            Evidence(
                f"group {number}: {len(group.records)} {group.object_type}s",
                f"{group.reason}; {group.open_pipeline:,.0f} open pipeline",
            )
        )
        evidence += [
            Evidence(
                f"group {number}: {r.name or r.crm_id}",
                f"{group.object_type} {r.crm_id}, owner {r.owner or 'none'}",
                r.crm_id,
                group.object_type,
            )
            for r in group.records
        ]
    return [
        Diagnostic(
            tenant_id,
            "",
            "",
            "duplicates",
            "info",
            f"{accounts} groups of probable duplicate accounts and {contacts} of contacts",
            "Merge these records: duplicates split a customer's history and send activity to the wrong one.",
            tuple(evidence),
        )
    ]
