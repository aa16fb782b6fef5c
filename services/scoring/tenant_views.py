"""Team health snapshots and diagnostics of a tenant, recomputed after a full rescore."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Connection
from services.scoring.adapters.pg_tenant_views import (
    activity_stats,
    duplicate_groups,
    field_gaps,
    open_by_stage,
    stage_histories,
    unknown_addresses,
)
from services.scoring.domain.diagnostics import (
    Diagnostic,
    FieldFriction,
    TeamFacts,
    duplicate_diagnostic,
    rep_diagnostics,
    team_diagnostics,
)
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.team_health import (
    HealthMetric,
    activity_metrics,
    milestone_dates,
    pipeline_metrics,
    sum_pipelines,
)
from services.scoring.domain.tenant_settings import Team, TenantSettings

T = TypeVar("T")
PIPELINE_METRICS = ("required_field_completeness", "pipeline_without_activity_7d")
TENANT = ""


def teams_of(settings: TenantSettings, reps: Sequence[str]) -> list[Team]:
    """The configured teams, or the whole tenant as one team when none are configured."""
    return list(settings.teams) or [Team(TENANT, "all reps", "", tuple(reps))]


def metric_proto(metric: HealthMetric) -> scoring_pb2.HealthMetric:
    return scoring_pb2.HealthMetric(
        name=metric.name,
        value=metric.value,
        target=metric.target,
        meets_target=metric.meets_target,
        higher_is_better=metric.higher_is_better,
        explanation=metric.explanation,
        available=metric.available,
        numerator=metric.numerator,
        denominator=metric.denominator,
    )


def diagnostic_proto(d: Diagnostic) -> scoring_pb2.Diagnostic:
    return scoring_pb2.Diagnostic(
        id=d.id,
        tenant_id=d.tenant_id,
        team_id=d.team_id,
        rep_id=d.rep_id,
        kind=d.kind,
        severity=d.severity,
        title=d.title,
        recommendation=d.recommendation,
        evidence=[scoring_pb2.Evidence(label=e.label, value=e.value, ref=e.ref) for e in d.evidence],
    )


async def refresh_team_health(
    conn: Connection, settings: TenantSettings, inputs: Sequence[RepInputs], as_of: date
) -> None:
    """Store today's TeamHealth of every team and of the whole tenant, with the go-live milestones."""
    by_rep = {i.rep_id: i for i in inputs}
    groups = {t.team_id: list(t.member_rep_ids) for t in settings.teams}
    groups[TENANT] = sorted(by_rep)
    current = await activity_stats(conn, settings.tenant_id, groups, as_of)
    milestones = [(days, day) for days, day in milestone_dates(settings) if day <= as_of]
    past = {day: await activity_stats(conn, settings.tenant_id, groups, day) for _, day in milestones}
    snapshots = await conn.fetch(
        "SELECT team_id, day, payload FROM team_health_snapshots "
        "WHERE tenant_id = $1 AND day = ANY($2::date[])",
        settings.tenant_id,
        [day for _, day in milestones],
    )
    stored = {(r["team_id"], r["day"]): scoring_pb2.TeamHealth.FromString(r["payload"]) for r in snapshots}
    rows = []
    for team_id, members in groups.items():
        pipeline = sum_pipelines(by_rep[m].pipeline for m in members if m in by_rep)
        metrics = [*activity_metrics(current[team_id], settings), *pipeline_metrics(pipeline, settings)]
        health = scoring_pb2.TeamHealth(
            tenant_id=settings.tenant_id,
            team_id=team_id,
            as_of=as_of.isoformat(),
            metrics=[metric_proto(m) for m in metrics],
        )
        for days, day in milestone_dates(settings):
            milestone = health.milestones.add(
                days_after_go_live=days, date=day.isoformat(), reached=day <= as_of
            )
            if day > as_of:
                continue
            milestone.metrics.extend(metric_proto(m) for m in activity_metrics(past[day][team_id], settings))
            milestone.metrics.extend(_pipeline_on(day, as_of, team_id, metrics, stored, settings))
        rows.append((settings.tenant_id, team_id, as_of, health.SerializeToString(deterministic=True)))
    await conn.executemany(
        "INSERT INTO team_health_snapshots VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (tenant_id, team_id, day) DO UPDATE SET payload = EXCLUDED.payload",
        rows,
    )


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
                name, 0.0, settings.threshold(target), name != "pipeline_without_activity_7d",
                f"not available: scoring kept no snapshot on {day.isoformat()}", available=False,
            )
        )
        for name, target in (
            ("required_field_completeness", "target_team_required_field_completeness"),
            ("pipeline_without_activity_7d", "target_pipeline_without_activity_7d"),
        )
    ]  # fmt: skip


async def refresh_diagnostics(
    conn: Connection,
    settings: TenantSettings,
    scored: Sequence[tuple[RepInputs, RepScoreResult]],
    as_of: date,
    computed_at: datetime,
) -> int:
    """Replace the tenant's diagnostics; returns how many there are now."""
    by_rep = {i.rep_id: (i, r) for i, r in scored}
    teams = teams_of(settings, sorted(by_rep))
    gaps = await field_gaps(conn, settings)
    stages = await open_by_stage(conn, settings.tenant_id)
    histories = await stage_histories(conn, settings.tenant_id) if settings.stages else []
    unknown = await unknown_addresses(conn, settings, as_of - timedelta(days=settings.window_days - 1))
    members_anywhere = {m for t in settings.teams for m in t.member_rep_ids}
    managers_only = frozenset(t.manager_rep_id for t in settings.teams) - members_anywhere
    found = rep_diagnostics(scored, managers_only)
    # Index everything by rep once: a tenant has thousands of teams.
    gaps_by_rep = _by_rep((rep, (field, o, e)) for rep, field, o, e in gaps)
    stages_by_rep = _by_rep((rep, (stage, n)) for rep, stage, n in stages)
    histories_by_rep = _by_rep((rep, (current, lost, seen)) for rep, current, lost, seen in histories)
    unknown_by_rep = _by_rep((rep, (address, n)) for rep, address, n in unknown)
    for team in teams:
        members = sorted(set(team.member_rep_ids))
        facts = TeamFacts(
            team=team,
            fields=_friction(team.team_id, [g for m in members for g in gaps_by_rep.get(m, ())]),
            open_by_stage=_sum_by_key(s for m in members for s in stages_by_rep.get(m, ())),
            skipped_by_stage=_skips(settings, [h for m in members for h in histories_by_rep.get(m, ())]),
            unknown_contacts=sorted(
                _sum_by_key(u for m in members for u in unknown_by_rep.get(m, ())).items(),
                key=lambda item: (-item[1], item[0]),
            ),
        )
        manager = by_rep.get(team.manager_rep_id, (None, None))[0]
        found += team_diagnostics(settings, facts, [by_rep[m] for m in members if m in by_rep], manager)
    groups = await duplicate_groups(conn, settings.tenant_id)
    found += duplicate_diagnostic(
        settings.tenant_id,
        [(g.object_type, g.records[0].name or g.key, len(g.records), g.open_pipeline) for g in groups],
    )
    async with conn.transaction():
        await conn.execute("DELETE FROM diagnostics WHERE tenant_id = $1", settings.tenant_id)
        await conn.executemany(
            "INSERT INTO diagnostics VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            [
                (
                    d.tenant_id,
                    d.id,
                    d.team_id,
                    d.rep_id,
                    d.kind,
                    diagnostic_proto(d).SerializeToString(),
                    computed_at,
                )
                for d in found
            ],
        )
    return len(found)


def _by_rep(rows: Iterable[tuple[str, T]]) -> dict[str, list[T]]:
    grouped: dict[str, list[T]] = {}
    for rep, row in rows:
        grouped.setdefault(rep, []).append(row)
    return grouped


def _sum_by_key(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for key, n in pairs:
        totals[key] = totals.get(key, 0) + n
    return totals


def _friction(team_id: str, gaps: list[tuple[str, int, int]]) -> list[FieldFriction]:
    totals: dict[str, tuple[int, int]] = {}
    for field, open_count, empty in gaps:
        o, e = totals.get(field, (0, 0))
        totals[field] = (o + open_count, e + empty)
    return [FieldFriction(f, team_id, o, e) for f, (o, e) in sorted(totals.items())]


def _skips(
    settings: TenantSettings, histories: list[tuple[str, bool, list[str]]]
) -> dict[str, tuple[int, int]]:
    """Per stage: how many opportunities moved past it without being seen in it, of all that moved past.

    A lost deal did not move past the stages after the one it was lost in, so its closing stage is
    left out of its furthest point.
    """
    order = {stage: index for index, stage in enumerate(settings.stages)}
    counts: dict[str, tuple[int, int]] = {}
    for current, lost, seen in histories:
        reached = {s for s in seen if not (lost and s == current)} | ({current} if not lost else set())
        indexes = [order[s] for s in reached if s in order]
        if not indexes:
            continue
        furthest = max(indexes)
        for stage in settings.stages[:furthest]:
            skipped, passed = counts.get(stage, (0, 0))
            counts[stage] = (skipped + (stage not in seen), passed + 1)
    return counts
