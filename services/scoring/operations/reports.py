"""What scoring answers from the CRM mirror: the write-back feed, a rep's agenda, forecast accuracy,
the readiness report, open opportunities and the tenant's configuration. Read-only; every read is
scoped by tenant first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.domain.diagnostics import FieldFriction
from services.scoring.domain.field_friction import by_empty_share, field_friction
from services.scoring.domain.forecast import ForecastAccuracy, forecast_accuracy
from services.scoring.operations.queries import Page, configured_team, page_of
from services.scoring.operations.settings import SettingsReader
from services.scoring.ports import CrmReads, DuplicateGroup, OpportunityQuery, ReadinessCounts, TenantFacts

MAX_DUPLICATE_GROUPS = 100


@dataclass(frozen=True)
class FeedPage:
    activities: list[scoring_pb2.MatchedActivity]
    last_sequence: int  # the position to ask after next time (safe to acknowledge)


@dataclass(frozen=True)
class Readiness:
    """Whether the tenant's CRM data is ready to be trusted, as of `as_of`."""

    tenant_id: str
    as_of: date
    counts: ReadinessCounts
    duplicates: list[DuplicateGroup]  # the MAX_DUPLICATE_GROUPS with the most open pipeline
    required_field_completeness: float
    missing_fields: list[FieldFriction]  # left empty most often first
    stale_examples: list[scoring_pb2.CrmRecordSummary]


class CrmReports:
    """Each method may block on the store and raises when it fails; `NotFound` only where a single
    named thing was asked for and does not exist. `today` is the current day (UTC)."""

    def __init__(
        self,
        crm: CrmReads,
        facts: TenantFacts,
        settings: SettingsReader,
        *,
        today: Callable[[], date],
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._crm = crm
        self._facts = facts
        self._settings = settings
        self._today = today
        self._now = now or (lambda: datetime.combine(today(), time(12), tzinfo=UTC))

    async def matched_feed(self, *, tenant_id: str, after: int, limit: int, rep_id: str) -> FeedPage:
        """Feed positions only grow and are committed in order, so `last_sequence` is a safe ack."""
        found = await self._crm.matched_feed(tenant_id=tenant_id, after=after, limit=limit, rep_id=rep_id)
        return FeedPage(found, found[-1].feed_sequence if found else after)

    async def agenda(
        self, *, tenant_id: str, rep_id: str, day: date | None, zone: tzinfo = UTC
    ) -> list[scoring_pb2.AgendaItem]:
        """The rep's meetings of `day` (today when None) as a day in `zone`: from its local midnight
        to the next one, so a rep in Sydney or Los Angeles sees their own day, not UTC's."""
        local_day = day or self._now().astimezone(zone).date()
        start = datetime.combine(local_day, time(0), tzinfo=zone)
        end = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=zone)
        return await self._crm.agenda(tenant_id=tenant_id, rep_id=rep_id, start=start, end=end)

    async def forecast_accuracy(self, *, tenant_id: str, rep_id: str) -> list[ForecastAccuracy]:
        """Every submitted forecast against what closed (of one rep when `rep_id` is not "")."""
        settings = await self._settings.load(tenant_id)
        today = self._today()
        return [
            forecast_accuracy(
                rep_id=f.rep_id, period=f.period, period_end=f.period_end, committed=f.committed,
                closed_won=f.closed_won, as_of=today, target=settings.threshold("forecast_error_target"),
            )
            for f in await self._crm.forecasts_with_outcomes(tenant_id=tenant_id, rep_id=rep_id)
        ]  # fmt: skip

    async def readiness(self, tenant_id: str) -> Readiness:
        settings = await self._settings.load(tenant_id)
        today = self._today()
        stale_days = int(settings.threshold("stale_days"))
        counts = await self._crm.readiness_counts(tenant_id=tenant_id, today=today, stale_days=stale_days)
        duplicates = (await self._facts.duplicate_groups(tenant_id))[:MAX_DUPLICATE_GROUPS]
        gaps = await self._facts.field_gaps(settings)
        friction = field_friction("", ((g.field, g.open_opportunities, g.empty) for g in gaps))
        possible = sum(f.open_opportunities for f in friction)
        empty = sum(f.empty for f in friction)
        return Readiness(
            tenant_id=tenant_id,
            as_of=today,
            counts=counts,
            duplicates=duplicates,
            required_field_completeness=round(1 - empty / possible, 4) if possible else 0.0,
            missing_fields=by_empty_share(f for f in friction if f.open_opportunities),
            stale_examples=await self._crm.stale_examples(
                tenant_id=tenant_id, today=today, stale_days=stale_days
            ),
        )

    async def opportunities(
        self,
        *,
        tenant_id: str,
        team_id: str,
        rep_id: str,
        review_ready_only: bool,
        after_crm_id: str,
        limit: int,
    ) -> Page[scoring_pb2.CrmRecordSummary]:
        """Open opportunities in crm_id order, of one team's and one rep's when they are not ""."""
        settings = await self._settings.load(tenant_id)
        owners: set[str] | None = None
        if team_id:
            owners = set(configured_team(settings, team_id).member_rep_ids)
        if rep_id:
            owners = {rep_id} if owners is None else owners & {rep_id}
        rows = await self._crm.open_opportunities(
            OpportunityQuery(
                tenant_id=tenant_id,
                owners=sorted(owners) if owners is not None else None,
                review_ready_only=review_ready_only,
                after_crm_id=after_crm_id,
                limit=limit + 1,
                today=self._today(),
                next_step_max_age_days=int(settings.threshold("review_next_step_max_age_days")),
            )
        )
        for row in rows:  # people by name: the owner's display name from the tenant's directory
            row.owner_display_name = settings.person(row.owner_rep_id).display_name
        return page_of(rows, limit)

    async def tenant_config(self, tenant_id: str) -> crm_pb2.TenantConfig:
        """The latest configuration the CRM sent, with every default filled in (version 0: none yet)."""
        return await self._settings.effective_config(tenant_id)
