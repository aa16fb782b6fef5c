"""What scoring answers about reps and teams: their activity, scores, team health, diagnostics and
field friction. Read-only; every read is scoped by tenant first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.domain.diagnostics import FieldFriction
from services.scoring.domain.field_friction import by_empty_share, field_friction
from services.scoring.domain.tenant_settings import Team, TenantSettings
from services.scoring.operations.errors import NotFound
from services.scoring.operations.settings import SettingsReader
from services.scoring.ports import ActivityPageCursor, ScoreReads, StoredActivity, TenantFacts

T = TypeVar("T")
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
_ROLE_SCAN_ROWS = 500  # scores read at a time while filtering by role


@dataclass(frozen=True)
class Page(Generic[T]):
    """At most the page size of items; `more` when a next page starts after the last one."""

    items: list[T]
    more: bool


def page_of(rows: Sequence[T], limit: int) -> Page[T]:
    """A page from `limit + 1` rows read: the extra row only tells that there is more."""
    return Page(list(rows[:limit]), len(rows) > limit)


def configured_team(settings: TenantSettings, team_id: str) -> Team:
    """The team as the tenant's configuration names it; raises `NotFound` when it does not."""
    team = settings.team(team_id)
    if team is None:
        raise NotFound(f"team {team_id!r} is not in the tenant's configuration")
    return team


class ScoringQueries:
    """Each method may block on the store and raises when it fails; `NotFound` only where a single
    named thing was asked for and does not exist."""

    def __init__(self, scores: ScoreReads, facts: TenantFacts, settings: SettingsReader) -> None:
        self._scores = scores
        self._facts = facts
        self._settings = settings

    async def activities(
        self, *, tenant_id: str, rep_id: str, limit: int, after: ActivityPageCursor | None
    ) -> Page[StoredActivity]:
        """The rep's activities, newest first."""
        rows = await self._scores.rep_activities(
            tenant_id=tenant_id, rep_id=rep_id, limit=limit + 1, after=after
        )
        return page_of(rows, limit)

    async def rep_score(self, tenant_id: str, rep_id: str) -> scoring_pb2.RepScore:
        score = await self._scores.rep_score(tenant_id, rep_id)
        if score is None:
            raise NotFound(f"no score for rep {rep_id!r} yet")
        return score

    async def rep_scores(
        self, *, tenant_id: str, team_id: str, after_rep_id: str, limit: int, role: str = ""
    ) -> Page[scoring_pb2.RepScore]:
        """Scores in rep order, of one team when `team_id` is not "", of one role when `role` is not ""."""
        if team_id:
            await self._known_team(tenant_id, team_id)
        if not role:
            rows = await self._scores.rep_scores(
                tenant_id=tenant_id, team_id=team_id, after_rep_id=after_rep_id, limit=limit + 1
            )
            return page_of(rows, limit)
        # Each stored score carries its person's role: read on in rep order until the page is full.
        kept: list[scoring_pb2.RepScore] = []
        while len(kept) <= limit:
            rows = await self._scores.rep_scores(
                tenant_id=tenant_id, team_id=team_id, after_rep_id=after_rep_id, limit=_ROLE_SCAN_ROWS
            )
            kept += [row for row in rows if row.role == role]
            if len(rows) < _ROLE_SCAN_ROWS:
                break
            after_rep_id = rows[-1].rep_id
        return page_of(kept[: limit + 1], limit)

    async def team_health(
        self, tenant_id: str, team_id: str, as_of: date | None = None
    ) -> scoring_pb2.TeamHealth:
        """The latest snapshot of the team, or of the whole tenant when `team_id` is ""; with
        `as_of`, the one kept on that day or the latest before it (what the team looked like then)."""
        if team_id:
            await self._known_team(tenant_id, team_id)
        health = await self._scores.latest_team_health(tenant_id, team_id, as_of)
        if health is None:
            if as_of is not None:
                raise NotFound(f"no team health was kept on or before {as_of.isoformat()}")
            raise NotFound("team health has not been computed yet for this tenant")
        return health

    async def diagnostics(self, *, tenant_id: str, team_id: str, rep_id: str) -> list[scoring_pb2.Diagnostic]:
        """Most severe first, then by kind, team, rep and id."""
        found = await self._scores.diagnostics(tenant_id=tenant_id, team_id=team_id, rep_id=rep_id)
        found.sort(key=lambda d: (_SEVERITY_ORDER.get(d.severity, 3), d.kind, d.team_id, d.rep_id, d.id))
        return found

    async def field_friction(self, tenant_id: str, team_id: str) -> list[FieldFriction]:
        """Required fields of open opportunities, left empty most often first (of one team's reps
        when `team_id` is not "")."""
        settings = await self._settings.load(tenant_id)
        members = set(configured_team(settings, team_id).member_rep_ids) if team_id else None
        gaps = await self._facts.field_gaps(settings)
        mine = [
            (g.field, g.open_opportunities, g.empty) for g in gaps if members is None or g.rep_id in members
        ]
        return by_empty_share(field_friction(team_id, mine))

    async def _known_team(self, tenant_id: str, team_id: str) -> None:
        """A team must be configured, once the tenant configures teams at all."""
        settings = await self._settings.load(tenant_id)
        if settings.teams:
            configured_team(settings, team_id)
