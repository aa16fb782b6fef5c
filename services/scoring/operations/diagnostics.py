"""The diagnostics of a whole tenant: per rep, per team (fields, stages, unknown contacts, managers)
and for the tenant's duplicates, from the scores and the facts the store holds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from services.scoring.domain.diagnostics import (
    Diagnostic,
    DuplicateRecord,
    DuplicateSet,
    TeamFacts,
    duplicate_diagnostic,
    rep_diagnostics,
    team_diagnostics,
)
from services.scoring.domain.field_friction import field_friction
from services.scoring.domain.leadership_finding import leadership_findings
from services.scoring.domain.playbook.adkar import interventions
from services.scoring.domain.playbook.timeline import Activity, timeline
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.tenant_settings import Team, TenantSettings
from services.scoring.operations.team_health import TENANT
from services.scoring.ports import DuplicateGroup, FieldGap, StageHistory

T = TypeVar("T")


@dataclass(frozen=True)
class DiagnosticFacts:
    """What diagnostics read from the store besides the scores."""

    gaps: list[FieldGap]
    stages: list[tuple[str, str, int]]  # (owner, stage, open opportunities)
    histories: list[StageHistory]
    unknown: list[tuple[str, str, int]]  # (rep, address, interactions)
    duplicates: list[DuplicateGroup]


def teams_of(settings: TenantSettings, reps: Sequence[str]) -> list[Team]:
    """The configured teams, or the whole tenant as one team when none are configured."""
    return list(settings.teams) or [Team(TENANT, "all reps", "", tuple(reps))]


def tenant_diagnostics(
    settings: TenantSettings,
    scored: Sequence[tuple[RepInputs, RepScoreResult]],
    facts: DiagnosticFacts,
    as_of: date | None = None,
    activity: Activity | None = None,
) -> list[Diagnostic]:
    """Every diagnostic of the tenant, with the playbook's interventions and timeline when `as_of`
    is given (`activity`: each team's active members, for the 90-day review). Pure."""
    by_rep = {i.rep_id: (i, r) for i, r in scored}
    teams = teams_of(settings, sorted(by_rep))
    members_anywhere = {m for t in settings.teams for m in t.member_rep_ids}
    managers_only = frozenset(t.manager_rep_id for t in settings.teams) - members_anywhere
    # A manager (by the people directory too) without a captured mailbox is not "capture missing".
    managers_only |= {i.rep_id for i, _ in scored if settings.is_manager(i.rep_id)}
    found = rep_diagnostics(scored, managers_only)
    # Index everything by rep once: a tenant has thousands of teams.
    gaps_by_rep = _by_rep((rep, (field, o, e)) for rep, field, o, e in facts.gaps)
    stages_by_rep = _by_rep((rep, (stage, n)) for rep, stage, n in facts.stages)
    histories_by_rep = _by_rep((rep, (current, lost, seen)) for rep, current, lost, seen in facts.histories)
    unknown_by_rep = _by_rep((rep, (address, n)) for rep, address, n in facts.unknown)
    for team in teams:
        members = sorted(set(team.member_rep_ids))
        team_facts = TeamFacts(
            team=team,
            fields=field_friction(team.team_id, [g for m in members for g in gaps_by_rep.get(m, ())]),
            open_by_stage=_sum_by_key(s for m in members for s in stages_by_rep.get(m, ())),
            skipped_by_stage=_skips(settings, [h for m in members for h in histories_by_rep.get(m, ())]),
            unknown_contacts=sorted(
                _sum_by_key(u for m in members for u in unknown_by_rep.get(m, ())).items(),
                key=lambda item: (-item[1], item[0]),
            ),
        )
        manager = by_rep.get(team.manager_rep_id, (None, None))[0]
        found += team_diagnostics(settings, team_facts, [by_rep[m] for m in members if m in by_rep], manager)
        if as_of is not None:
            found += leadership_findings(settings, team, manager, as_of)
    found += duplicate_diagnostic(
        settings.tenant_id,
        [
            DuplicateSet(
                g.object_type,
                g.reason,
                tuple(
                    DuplicateRecord(
                        r.crm_id, r.name, settings.person(r.owner_rep_id).display_name or r.owner_rep_id
                    )
                    for r in g.records
                ),
                g.open_pipeline,
            )
            for g in facts.duplicates
        ],
    )
    if as_of is not None:
        found += interventions(settings, scored, gaps_by_rep, as_of)
        found += timeline(settings, scored, as_of, activity)
    return found


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
