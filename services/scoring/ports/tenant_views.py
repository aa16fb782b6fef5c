"""What team health, diagnostics and the readiness report read about a tenant, and where the first two
are kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, Protocol

from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.domain.diagnostics import Diagnostic
from services.scoring.domain.leadership import LeadershipSummary
from services.scoring.domain.records import CrmRecord
from services.scoring.domain.role_health import RoleHealth
from services.scoring.domain.team_health import ActivityStats
from services.scoring.domain.tenant_settings import TenantSettings


@dataclass(frozen=True)
class TeamHealthSnapshot:
    """One team's health as a full rescore computes it: the TeamHealth message but for its lines by
    role and the manager's leadership signals, which the writer maps (`adapters/proto_mapping.py`)."""

    message: scoring_pb2.TeamHealth
    roles: tuple[RoleHealth, ...] = ()
    leadership: LeadershipSummary | None = None


class FieldGap(NamedTuple):
    """One rep's open opportunities and, of those, the ones where a required field is empty."""

    rep_id: str
    field: str
    open_opportunities: int
    empty: int


class StageHistory(NamedTuple):
    """An opportunity seen in at least two stages."""

    rep_id: str  # its owner
    stage: str  # its current stage
    lost: bool
    seen: list[str]  # every stage it was ever seen in


@dataclass(frozen=True)
class DuplicateGroup:
    """Records that look like one account or contact, and the open pipeline on their accounts."""

    object_type: str
    key: str
    reason: str
    records: list[CrmRecord]
    open_pipeline: float


class TenantFacts(Protocol):
    """Set-based reads over one tenant's CRM mirror and counters. Each call is its own snapshot, so
    several may run at once; every method may block on the database and raises on failure."""

    async def activity_stats(
        self, tenant_id: str, groups: Mapping[str, Sequence[str]], days: Sequence[date]
    ) -> list[dict[str, ActivityStats]]:
        """CRM use of each group of reps over the 28 days ending on each of `days`, in that order."""

    async def team_health_snapshots(
        self, tenant_id: str, days: Sequence[date]
    ) -> dict[tuple[str, date], scoring_pb2.TeamHealth]:
        """The TeamHealth stored for each team on each of `days` (keyed by team and day), if any."""

    async def field_gaps(self, settings: TenantSettings) -> list[FieldGap]:
        """Per owner and required field: open opportunities, and those with the field empty."""

    async def open_by_stage(self, tenant_id: str) -> list[tuple[str, str, int]]:
        """(owner, stage, open opportunities) per owner and stage."""

    async def stage_histories(self, tenant_id: str) -> list[StageHistory]:
        """Live opportunities seen in at least two stages."""

    async def unknown_addresses(self, settings: TenantSettings, since: date) -> list[tuple[str, str, int]]:
        """(rep, address, interactions) of external people met or written to often who are no contact."""

    async def duplicate_groups(self, tenant_id: str) -> list[DuplicateGroup]:
        """Probable duplicates, the groups with the most open pipeline (then the most records) first."""


class TenantViewWriter(Protocol):
    """Stores what a full rescore derives for a whole tenant. Each method is its own transaction, may
    block on the database and raises on failure."""

    async def save_team_health(self, day: date, snapshots: Sequence[TeamHealthSnapshot]) -> None:
        """Keep these snapshots as the ones of `day`, replacing any kept for the same team and day."""

    async def replace_diagnostics(
        self, tenant_id: str, diagnostics: Sequence[Diagnostic], computed_at: datetime
    ) -> None:
        """Replace every diagnostic of the tenant with these, at once."""
