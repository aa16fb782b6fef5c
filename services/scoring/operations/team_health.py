"""Team health snapshots of every team and of the whole tenant, built from the reps' inputs and the
facts the store holds.

The snapshot is stored as the TeamHealth message the API serves, and a milestone's pipeline metrics
are copied from the snapshot kept on that day, so this module builds the message's metrics itself;
the lines by role and the leadership signals stay domain values until the writer maps them
(`adapters/proto_mapping.py::team_health_proto`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.domain.leadership import leadership_summary, use_of
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.role_health import role_group, role_health
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.team_health import (
    ActivityStats,
    HealthMetric,
    activity_metrics,
    milestone_dates,
    pipeline_metrics,
    sum_pipelines,
)
from services.scoring.domain.tenant_settings import MANAGER_ROLE, TenantSettings
from services.scoring.ports import TeamHealthSnapshot

PIPELINE_METRICS = ("required_field_completeness", "pipeline_without_activity_7d")
TENANT = ""  # the team id of the whole tenant


@dataclass(frozen=True)
class TeamHealthFacts:
    """What team health reads from the store: CRM use today and on each milestone reached, and the
    snapshots stored on those milestones."""

    groups: dict[str, list[str]]
    current: dict[str, ActivityStats]
    past: dict[date, dict[str, ActivityStats]]
    stored: dict[tuple[str, date], scoring_pb2.TeamHealth]
    by_role: dict[str, ActivityStats] = field(default_factory=dict)  # today, keyed `role_group`


def team_groups(settings: TenantSettings, reps: Sequence[str]) -> dict[str, list[str]]:
    """The members of every configured team, and under the whole tenant's id every team's members
    plus the reps in no team: so the teams add up to the tenant, but for those reps (counted in
    `outside_teams`). Managers are nobody's members: their CRM use is their own line."""
    groups = {t.team_id: list(t.member_rep_ids) for t in settings.teams}
    in_teams = {m for t in settings.teams for m in t.member_rep_ids}
    groups[TENANT] = sorted(in_teams | set(outside_teams(settings, reps)))
    return groups


def outside_teams(settings: TenantSettings, reps: Sequence[str]) -> list[str]:
    """Reps (not managers) that belong to no configured team."""
    in_teams = {m for t in settings.teams for m in t.member_rep_ids}
    return sorted(r for r in reps if r not in in_teams and settings.person(r).role != MANAGER_ROLE)


def reached_milestones(settings: TenantSettings, as_of: date) -> list[date]:
    return [day for _, day in milestone_dates(settings) if day <= as_of]


def metric_proto(metric: HealthMetric) -> scoring_pb2.HealthMetric:
    return scoring_pb2.HealthMetric(
        name=metric.name,
        value=metric.value if metric.available else None,
        target=metric.target,
        meets_target=metric.meets_target,
        higher_is_better=metric.higher_is_better,
        explanation=metric.explanation,
        available=metric.available,
        numerator=metric.numerator,
        denominator=metric.denominator,
    )


def team_health_snapshots(
    settings: TenantSettings,
    inputs: Sequence[RepInputs],
    as_of: date,
    facts: TeamHealthFacts,
    results: Sequence[RepScoreResult] = (),
) -> list[TeamHealthSnapshot]:
    """Today's TeamHealth of every team and of the whole tenant, with the go-live milestones, the
    members compared by role (from `results`, the scores just computed) and the manager's leadership
    signals by kind. Pure."""
    by_rep = {i.rep_id: i for i in inputs}
    scored = {r.rep_id: r for r in results}
    roles = {r.rep_id: r.role or settings.person(r.rep_id).role for r in results}
    in_teams = {m for t in settings.teams for m in t.member_rep_ids}
    target = settings.threshold("manager_min_pipeline_review_share")
    uses = {i.rep_id: i.leadership for i in inputs if i.leadership.reported}
    leadership_of = {
        t.team_id: leadership_summary(
            t.manager_rep_id, use_of(uses, t.manager_rep_id, settings.window_days), as_of, target
        )
        for t in settings.teams
        if t.manager_rep_id
    }
    snapshots = []
    for team_id, members in facts.groups.items():
        pipeline = sum_pipelines(by_rep[m].pipeline for m in members if m in by_rep)
        metrics = [*activity_metrics(facts.current[team_id], settings), *pipeline_metrics(pipeline, settings)]
        if scored:
            metrics.append(data_quality_metric([scored[m] for m in members if m in scored], settings))
        health = scoring_pb2.TeamHealth(
            tenant_id=settings.tenant_id,
            team_id=team_id,
            as_of=as_of.isoformat(),
            metrics=[metric_proto(m) for m in metrics],
            members=len(set(members)),
            reps_outside_teams=len(set(members) - in_teams) if team_id == TENANT else 0,
        )
        created = [by_rep[m].records_created for m in set(members) if m in by_rep]
        if created and all(n is not None for n in created):
            health.records_created_per_week = round(
                sum(n or 0 for n in created) * 7 / settings.window_days, 2
            )
        for days, day in milestone_dates(settings):
            milestone = health.milestones.add(
                days_after_go_live=days, date=day.isoformat(), reached=day <= as_of
            )
            if day > as_of:
                continue
            milestone.metrics.extend(
                metric_proto(m) for m in activity_metrics(facts.past[day][team_id], settings)
            )
            milestone.metrics.extend(_pipeline_on(day, as_of, team_id, metrics, facts.stored, settings))
        lines = tuple(
            replace(line, active=tuple(activity_metrics(facts.by_role[key], settings)))
            if (key := role_group(team_id, line.role)) in facts.by_role
            else line
            for line in (role_health(members, roles, scored) if scored else ())
        )
        snapshots.append(TeamHealthSnapshot(health, lines, leadership_of.get(team_id)))
    return snapshots


def data_quality_metric(results: Sequence[RepScoreResult], settings: TenantSettings) -> HealthMetric:
    """The members' average data-quality score against "Data Quality Score > 80%", over the members
    who have one (a rep keeping no records has none, and is not counted as zero)."""
    target = settings.threshold("target_team_data_quality")
    known = [r.data_quality for r in results if r.data_quality is not None]
    if not known:
        return HealthMetric(
            "data_quality", None, target, True, "not available: no member has a data-quality score",
            available=False,
        )  # fmt: skip
    average = sum(known) / len(known)
    return HealthMetric(
        "data_quality", round(average / 100.0, 4), target, True,
        f"the {len(known)} members with a data-quality score average {average:.0f} of 100",
        round(average), len(known),
    )  # fmt: skip


def _pipeline_on(
    day: date,
    as_of: date,
    team_id: str,
    current: list[HealthMetric],
    stored: dict[tuple[str, date], scoring_pb2.TeamHealth],
    settings: TenantSettings,
) -> list[scoring_pb2.HealthMetric]:
    """Pipeline metrics as they were on `day`: only known when a snapshot was taken that day."""
    if day == as_of:
        return [metric_proto(m) for m in current if m.name in PIPELINE_METRICS]
    snapshot = stored.get((team_id, day))
    if snapshot is not None:
        return [m for m in snapshot.metrics if m.name in PIPELINE_METRICS]
    return [
        metric_proto(
            HealthMetric(
                name, None, settings.threshold(target), name != "pipeline_without_activity_7d",
                f"not available: scoring kept no snapshot on {day.isoformat()}", available=False,
            )
        )
        for name, target in (
            ("required_field_completeness", "target_team_required_field_completeness"),
            ("pipeline_without_activity_7d", "target_pipeline_without_activity_7d"),
        )
    ]  # fmt: skip
