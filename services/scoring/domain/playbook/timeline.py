"""What the field does at the moment it applies, relative to the go-live and each rep's start date:

- "schedule your next training session after your team has had 30 days of real use" (day 30-44);
- one team "re-ran targeted, role-specific sessions at the 45-day mark" for those below target
  (day 45-59);
- "if adoption has failed across the team (below 40% active users at 90 days): consider a
  simplified relaunch" (day 90-103, the 90-day review);
- "establish the pipeline review rule and hold it for three consecutive meetings" after a leadership
  finding (the manager stopped opening the CRM, or ran a week's pipeline review outside the CRM as
  the plugin's `crm_viewed` events show) or an enforcement finding (a ghost), for the three weekly
  reviews after the finding.

Each item carries its evidence, the day it applies from and the day it expires; nothing is stored:
the items are recomputed with every full rescore, so they appear and disappear on those days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from services.scoring.domain.class_history import week_end
from services.scoring.domain.classification import Classification
from services.scoring.domain.diagnostics import Diagnostic, Evidence, Playbook
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.scores import role_label
from services.scoring.domain.tenant_settings import MANAGER_ROLE, Team, TenantSettings

TRAINING_DAY, ROLE_SESSION_DAY, REVIEW_DAY = 30, 45, 90
ROLE_SESSION_UNTIL_DAY, REVIEW_DAYS = 60, 14
PIPELINE_MEETINGS = 3  # weekly pipeline reviews to hold the rule for
NOT_ON_TARGET = (Classification.SKEPTIC, Classification.WORKAROUNDER, Classification.GHOST)

Activity = Mapping[str, tuple[int, int]]  # team id -> (members active in the last 7 days, members)


def timeline(
    settings: TenantSettings,
    scored: Sequence[tuple[RepInputs, RepScoreResult]],
    as_of: date,
    activity: Activity | None = None,
) -> list[Diagnostic]:
    """Every timeline recommendation that applies on `as_of`. Pure."""
    by_rep = {r.rep_id: (i, r) for i, r in scored}
    teams = list(settings.teams) or [Team("", "all reps", "", tuple(sorted(by_rep)))]
    found: list[Diagnostic] = []
    for team in teams:
        members = [by_rep[m] for m in dict.fromkeys(team.member_rep_ids) if m in by_rep]
        members = [(i, r) for i, r in members if settings.person(r.rep_id).role != MANAGER_ROLE]
        found += _training(settings, team, members, as_of)
        found += _role_sessions(settings, team, members, as_of)
        if activity is not None and team.team_id in activity:
            found += _review(settings, team, activity[team.team_id], as_of)
        manager = by_rep.get(team.manager_rep_id)
        found += _hold_pipeline_rule(settings, team, members, manager[0] if manager else None, as_of)
    return found


def start_of(settings: TenantSettings, rep_id: str) -> date | None:
    """The first day of a rep's real use: their start date, else the tenant's go-live."""
    return settings.person(rep_id).start_date or settings.go_live


def _cohorts(
    settings: TenantSettings,
    members: Sequence[tuple[RepInputs, RepScoreResult]],
    as_of: date,
    first: int,
    last: int,
) -> dict[date, list[RepScoreResult]]:
    """Members whose day `first`..`last - 1` of real use is `as_of`, by their first day."""
    cohorts: dict[date, list[RepScoreResult]] = {}
    for _, result in members:
        start = start_of(settings, result.rep_id)
        if start is not None and start + timedelta(days=first) <= as_of < start + timedelta(days=last):
            cohorts.setdefault(start, []).append(result)
    return cohorts


def _name(settings: TenantSettings, rep_id: str) -> str:
    return settings.person(rep_id).display_name or rep_id


def _team_name(team: Team) -> str:
    return team.name or team.team_id or "all reps"


def _training(
    settings: TenantSettings, team: Team, members: Sequence[tuple[RepInputs, RepScoreResult]], as_of: date
) -> list[Diagnostic]:
    found = []
    for start, reps in sorted(_cohorts(settings, members, as_of, TRAINING_DAY, ROLE_SESSION_DAY).items()):
        due, until = start + timedelta(days=TRAINING_DAY), start + timedelta(days=ROLE_SESSION_DAY)
        found.append(
            Diagnostic(
                settings.tenant_id, team.team_id, "", "playbook_training_30_days", "info",
                f"{_team_name(team)}: {len(reps)} reps have had 30 days of real use "
                f"(since {start.isoformat()})",
                "Schedule the next training session now: after 30 days of real use the questions come from "
                "their own work. Train by role, not by feature.",
                (
                    Evidence("first day of real use", start.isoformat()),
                    Evidence("30 days of real use on", due.isoformat()),
                    *(Evidence("rep", _name(settings, r.rep_id), r.rep_id, "rep") for r in reps),
                ),
                Playbook(
                    for_rep="A training session on your own day-to-day work in the CRM is being planned: "
                    "bring the questions you have after your first month.",
                    applies_from=due, expires_on=until,
                ),
            )
        )  # fmt: skip
    return found


def _below_target(settings: TenantSettings, result: RepScoreResult) -> bool:
    return result.verdict.classification in NOT_ON_TARGET or result.adoption < settings.for_role(
        result.role
    ).threshold("target_adoption_score")


def _role_sessions(
    settings: TenantSettings, team: Team, members: Sequence[tuple[RepInputs, RepScoreResult]], as_of: date
) -> list[Diagnostic]:
    found = []
    cohorts = _cohorts(settings, members, as_of, ROLE_SESSION_DAY, ROLE_SESSION_UNTIL_DAY)
    for start, reps in sorted(cohorts.items()):
        due, until = start + timedelta(days=ROLE_SESSION_DAY), start + timedelta(days=ROLE_SESSION_UNTIL_DAY)
        by_role: dict[str, list[RepScoreResult]] = {}
        for result in reps:
            if _below_target(settings, result):
                by_role.setdefault(result.role, []).append(result)
        for role, below in sorted(by_role.items()):
            target = settings.for_role(role).threshold("target_adoption_score")
            found.append(
                Diagnostic(
                    settings.tenant_id, team.team_id, "", "playbook_role_session_45_days", "warning",
                    f"{_team_name(team)}: {len(below)} people of the {role} role below target 45 days "
                    f"after {start.isoformat()}",
                    f"Run a targeted session for the role ({role_label(role)}): the tasks they do every day, "
                    "in the CRM, with the people below listed first.",
                    (
                        Evidence("role", role),
                        Evidence("adoption target", f"{target:g}"),
                        *(
                            Evidence(f"{r.verdict.classification.value}, adoption {r.adoption:.0f}",
                                     _name(settings, r.rep_id), r.rep_id, "rep")
                            for r in below
                        ),
                    ),
                    Playbook(
                        for_rep="A short session for people in your role is being planned, on the few CRM "
                        "steps your work needs and how to do them fastest.",
                        applies_from=due, expires_on=until,
                    ),
                )
            )  # fmt: skip
    return found


def _review(settings: TenantSettings, team: Team, active: tuple[int, int], as_of: date) -> list[Diagnostic]:
    if settings.go_live is None:
        return []
    due = settings.go_live + timedelta(days=REVIEW_DAY)
    until = due + timedelta(days=REVIEW_DAYS)
    if not due <= as_of < until:
        return []
    users, members = active
    if not members:
        return []
    share = users / members
    evidence = (
        Evidence("go-live", settings.go_live.isoformat()),
        Evidence("active users in the last 7 days", f"{users} of {members} ({share:.0%})"),
        Evidence("relaunch below", f"{settings.threshold('relaunch_max_active_share'):.0%}"),
    )
    if share < settings.threshold("relaunch_max_active_share"):
        return [
            Diagnostic(
                settings.tenant_id, team.team_id, "", "playbook_simplified_relaunch", "critical",
                f"{_team_name(team)}: adoption has failed at 90 days ({share:.0%} active users)",
                "Consider a simplified relaunch: fewer required fields and stages, capture and write-back "
                "doing the logging, one role-specific view per role, and the pipeline review run from the "
                "CRM from day one.",
                evidence,
                Playbook(applies_from=due, expires_on=until),
            )
        ]  # fmt: skip
    return [
        Diagnostic(
            settings.tenant_id, team.team_id, "", "playbook_review_90_days", "info",
            f"{_team_name(team)}: the 90-day review ({share:.0%} active users)",
            "Review the 90-day figures with the team against the healthy marks (80% weekly active users, "
            "80% of required fields complete, under 20% of pipeline without activity in 7 days).",
            evidence,
            Playbook(applies_from=due, expires_on=until),
        )
    ]  # fmt: skip


def findings_without_reviews(
    settings: TenantSettings, manager: RepInputs, as_of: date, findings: dict[date, list[str]]
) -> None:
    """Add the complete weeks the manager ran no pipeline review in the CRM (when the tenant's plugin
    reports views; weeks before it did are unknown, not findings) to `findings`, by week end."""
    use = manager.leadership
    for monday in use.judged((m for m, _ in manager.weeks), as_of):
        if monday not in use.review_weeks:
            findings.setdefault(week_end(monday, as_of), []).append(
                f"{_name(settings, manager.rep_id)} ran no pipeline review in the CRM in the week of "
                f"{monday.isoformat()}"
            )


def _hold_pipeline_rule(
    settings: TenantSettings,
    team: Team,
    members: Sequence[tuple[RepInputs, RepScoreResult]],
    manager: RepInputs | None,
    as_of: date,
) -> list[Diagnostic]:
    """After the week a leadership or enforcement finding first appeared, for three weekly reviews."""
    findings: dict[date, list[str]] = {}  # week end -> what was found that week
    if manager is not None:
        minimum = settings.threshold("manager_min_login_days_per_week")
        for monday, totals in manager.weeks:
            if totals.days and totals.login_days * 7.0 / totals.days < minimum:
                end = week_end(monday, as_of)
                findings.setdefault(end, []).append(
                    f"{_name(settings, manager.rep_id)} opened the CRM on {totals.login_days} days "
                    f"in the week of {monday.isoformat()}"
                )
        findings_without_reviews(settings, manager, as_of, findings)
    for _, result in members:
        for point in result.trend:
            if point.classification is Classification.GHOST and point.week_end is not None:
                findings.setdefault(point.week_end, []).append(
                    f"{_name(settings, result.rep_id)} worked outside the CRM in the week of "
                    f"{point.week_start.isoformat()}"
                )
    weeks = sorted(findings)
    # The latest week a finding started (the week before had none).
    starts = [w for w in weeks if w - timedelta(days=7) not in findings]
    if not starts:
        return []
    start = starts[-1]
    until = start + timedelta(days=7 * PIPELINE_MEETINGS)
    if not start <= as_of < until:
        return []
    meetings = [start + timedelta(days=7 * n) for n in range(1, PIPELINE_MEETINGS + 1)]
    return [
        Diagnostic(
            settings.tenant_id, team.team_id, "", "playbook_hold_pipeline_rule", "warning",
            f"{_team_name(team)}: hold the pipeline-review rule for three consecutive meetings",
            "Establish the rule that only what is in the CRM is discussed in the pipeline review, and hold "
            f"it for the next three weekly reviews (until {until.isoformat()}), manager first.",
            (
                *(Evidence("finding", f) for f in findings[start]),
                *(Evidence(f"review {n}", m.isoformat()) for n, m in enumerate(meetings, 1)),
            ),
            Playbook(
                for_rep="Pipeline reviews now use what the CRM shows: keeping your open deals current "
                "before each review is all it takes.",
                applies_from=start, expires_on=until,
            ),
        )
    ]  # fmt: skip
