"""Team health snapshots and diagnostics of a tenant, recomputed after a full rescore."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from services.scoring.domain.diagnostics import Diagnostic
from services.scoring.domain.playbook.timeline import Activity
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.role_health import role_groups
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.operations.diagnostics import DiagnosticFacts, tenant_diagnostics
from services.scoring.operations.team_health import (
    TeamHealthFacts,
    reached_milestones,
    team_groups,
    team_health_snapshots,
)
from services.scoring.ports import StageHistory, TenantFacts, TenantViewWriter


class TenantViews:
    """Reads the facts behind team health and diagnostics, and replaces what is stored of both.

    The `*_facts` reads run at once (each on its own connection, when the store has several), so a
    caller may start them as tasks and score meanwhile. Every method may block on the store and
    raises when it fails; each `refresh_*` is one write.
    """

    def __init__(self, facts: TenantFacts, writer: TenantViewWriter) -> None:
        self._facts = facts
        self._writer = writer

    async def team_health_facts(
        self, settings: TenantSettings, reps: Sequence[str], as_of: date
    ) -> TeamHealthFacts:
        groups = team_groups(settings, reps)
        milestones = reached_milestones(settings, as_of)
        # Each role's active users today ("DAU/MAU > 60%" for every role, not only the team's mix).
        by_role = role_groups(groups, {r: settings.person(r).role for g in groups.values() for r in g})
        stats, stored, role_stats = await asyncio.gather(
            self._facts.activity_stats(settings.tenant_id, groups, (as_of, *milestones)),
            self._facts.team_health_snapshots(settings.tenant_id, milestones),
            self._facts.activity_stats(settings.tenant_id, by_role, (as_of,)),
        )
        past = dict(zip(milestones, stats[1:], strict=True))
        return TeamHealthFacts(groups, stats[0], past, stored, role_stats[0])

    async def diagnostic_facts(self, settings: TenantSettings, as_of: date) -> DiagnosticFacts:
        tenant = settings.tenant_id
        gaps, stages, histories, unknown, duplicates = await asyncio.gather(
            self._facts.field_gaps(settings),
            self._facts.open_by_stage(tenant),
            self._facts.stage_histories(tenant) if settings.stages else _no_histories(),
            self._facts.unknown_addresses(settings, as_of - timedelta(days=settings.window_days - 1)),
            self._facts.duplicate_groups(tenant),
        )
        return DiagnosticFacts(gaps, stages, histories, unknown, duplicates)

    async def refresh_team_health(
        self,
        settings: TenantSettings,
        inputs: Sequence[RepInputs],
        as_of: date,
        facts: TeamHealthFacts,
        results: Sequence[RepScoreResult] = (),
    ) -> None:
        """Store today's TeamHealth of every team and of the whole tenant, with the go-live milestones
        and the members compared by role."""
        snapshots = team_health_snapshots(settings, inputs, as_of, facts, results)
        await self._writer.save_team_health(as_of, snapshots)

    async def refresh_diagnostics(
        self,
        settings: TenantSettings,
        scored: Sequence[tuple[RepInputs, RepScoreResult]],
        computed_at: datetime,
        facts: DiagnosticFacts,
        activity: Activity | None = None,
    ) -> list[Diagnostic]:
        """Replace the tenant's diagnostics, the playbook's included; returns them."""
        found = tenant_diagnostics(settings, scored, facts, computed_at.date(), activity)
        await self._writer.replace_diagnostics(settings.tenant_id, found, computed_at)
        return found


async def _no_histories() -> list[StageHistory]:
    return []
