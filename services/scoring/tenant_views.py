"""Team health snapshots and diagnostics of a tenant, recomputed after a full rescore."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import asyncpg

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.pg_tenant_views import (
    DuplicateGroup,
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
    ActivityStats,
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


@dataclass(frozen=True)
class TeamHealthFacts:
    """What team health reads from the database: CRM use today and on each milestone reached, and
    the snapshots stored on those milestones."""

    groups: dict[str, list[str]]
    current: dict[str, ActivityStats]
    past: dict[date, dict[str, ActivityStats]]
    stored: dict[tuple[str, date], scoring_pb2.TeamHealth]


async def load_team_health_facts(
    db: Connection | Pool, settings: TenantSettings, reps: Sequence[str], as_of: date
) -> TeamHealthFacts:
    """On a pool, the queries run at once on several connections (see `fetch_all`)."""
    groups = {t.team_id: list(t.member_rep_ids) for t in settings.teams}
    groups[TENANT] = sorted(reps)
    milestones = [day for _, day in milestone_dates(settings) if day <= as_of]
    snapshots_sql = (
        "SELECT team_id, day, payload FROM team_health_snapshots "
        "WHERE tenant_id = $1 AND day = ANY($2::date[])"
    )
    stats_and_snapshots = await _gather(
        db,
        *(activity_stats(db, settings.tenant_id, groups, day) for day in (as_of, *milestones)),
        db.fetch(snapshots_sql, settings.tenant_id, milestones),
    )
    *stats, snapshots = stats_and_snapshots
    return TeamHealthFacts(
        groups,
        stats[0],
        dict(zip(milestones, stats[1:], strict=True)),
        {(r["team_id"], r["day"]): scoring_pb2.TeamHealth.FromString(r["payload"]) for r in snapshots},
    )


async def refresh_team_health(
    conn: Connection,
    settings: TenantSettings,
    inputs: Sequence[RepInputs],
    as_of: date,
    facts: TeamHealthFacts | None = None,
) -> None:
    """Store today's TeamHealth of every team and of the whole tenant, with the go-live milestones."""
    by_rep = {i.rep_id: i for i in inputs}
    if facts is None:
        facts = await load_team_health_facts(conn, settings, list(by_rep), as_of)
    groups, current, past, stored = facts.groups, facts.current, facts.past, facts.stored
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


@dataclass(frozen=True)
class DiagnosticFacts:
    """What diagnostics read from the database besides the scores."""

    gaps: list[tuple[str, str, int, int]]
    stages: list[tuple[str, str, int]]
    histories: list[tuple[str, str, bool, list[str]]]
    unknown: list[tuple[str, str, int]]
    duplicates: list[DuplicateGroup]


async def load_diagnostic_facts(
    db: Connection | Pool, settings: TenantSettings, as_of: date
) -> DiagnosticFacts:
    """On a pool, the queries run at once on several connections (see `fetch_all`)."""
    tenant = settings.tenant_id
    gaps, stages, histories, unknown, duplicates = await _gather(
        db,
        field_gaps(db, settings),
        open_by_stage(db, tenant),
        stage_histories(db, tenant) if settings.stages else _nothing(),
        unknown_addresses(db, settings, as_of - timedelta(days=settings.window_days - 1)),
        duplicate_groups(db, tenant),
    )
    return DiagnosticFacts(gaps, stages, histories, unknown, duplicates)


async def refresh_diagnostics(
    conn: Connection,
    settings: TenantSettings,
    scored: Sequence[tuple[RepInputs, RepScoreResult]],
    as_of: date,
    computed_at: datetime,
    facts: DiagnosticFacts | None = None,
) -> int:
    """Replace the tenant's diagnostics; returns how many there are now."""
    by_rep = {i.rep_id: (i, r) for i, r in scored}
    teams = teams_of(settings, sorted(by_rep))
    if facts is None:
        facts = await load_diagnostic_facts(conn, settings, as_of)
    gaps, stages, histories, unknown = facts.gaps, facts.stages, facts.histories, facts.unknown
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
        team_facts = TeamFacts(
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
        found += team_diagnostics(settings, team_facts, [by_rep[m] for m in members if m in by_rep], manager)
    found += duplicate_diagnostic(
        settings.tenant_id,
        [
            (g.object_type, g.records[0].name or g.key, len(g.records), g.open_pipeline)
            for g in facts.duplicates
        ],
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


async def _gather(db: Connection | Pool, *reads: Awaitable[Any]) -> list[Any]:
    """All at once on a pool (each read takes its own connection); in order on one connection."""
    if isinstance(db, asyncpg.Pool):
        return list(await asyncio.gather(*reads))
    return [await read for read in reads]


async def _nothing() -> list[Any]:
    return []


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
