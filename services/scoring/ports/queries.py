"""The read models behind the ScoringQuery RPCs. Every read is scoped by tenant_id first; each call
may block on the database and raises on failure. Stored answers (scores, team health, diagnostics)
come back as the contract messages they were stored as."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, Protocol

from groundtruth.scoring.v1 import scoring_pb2


@dataclass(frozen=True)
class ActivityPageCursor:
    """Keyset position: the last row of the previous page."""

    occurred_at: datetime
    id: str


@dataclass(frozen=True)
class StoredActivity:
    """A captured activity as stored (the Activity message, serialized)."""

    id: str
    occurred_at: datetime
    payload: bytes
    stored_at: datetime


class ForecastOutcome(NamedTuple):
    """A submitted forecast and what the rep closed and won in its period."""

    rep_id: str
    period: str
    period_end: date
    committed: float
    closed_won: float


@dataclass(frozen=True)
class OpportunityQuery:
    """A page of a tenant's open opportunities in crm_id order, after `after_crm_id`."""

    tenant_id: str
    owners: Sequence[str] | None  # None: every owner's
    review_ready_only: bool  # only those ready for a pipeline review as of `today`
    after_crm_id: str
    limit: int
    today: date
    next_step_max_age_days: int  # a next step older than this is not review-ready


class ReadinessCounts(NamedTuple):
    """Open opportunities of a tenant, and how many of them are past their close date or stale."""

    open_opportunities: int
    past_close_date: int
    stale: int  # no change and no activity for the tenant's stale_days


class ScoreReads(Protocol):
    """What scoring stored about reps and teams."""

    async def rep_activities(
        self, *, tenant_id: str, rep_id: str, limit: int, after: ActivityPageCursor | None
    ) -> list[StoredActivity]:
        """The rep's activities (not deletions), newest first, after the cursor."""

    async def rep_score(self, tenant_id: str, rep_id: str) -> scoring_pb2.RepScore | None: ...

    async def rep_scores(
        self, *, tenant_id: str, team_id: str, after_rep_id: str, limit: int
    ) -> list[scoring_pb2.RepScore]:
        """Scores in rep order after `after_rep_id`, of one team ("" for every team)."""

    async def latest_team_health(
        self, tenant_id: str, team_id: str, as_of: date | None = None
    ) -> scoring_pb2.TeamHealth | None:
        """The newest snapshot of the team ("" for the whole tenant), kept on `as_of` or before when
        it is given."""

    async def diagnostics(self, *, tenant_id: str, team_id: str, rep_id: str) -> list[scoring_pb2.Diagnostic]:
        """The tenant's diagnostics, of one team and one rep when they are not ""; in no order."""


class CrmReads(Protocol):
    """Read models over the CRM mirror and the write-back feed."""

    async def matched_feed(
        self, *, tenant_id: str, after: int, limit: int, rep_id: str
    ) -> list[scoring_pb2.MatchedActivity]:
        """Feed entries after position `after`, in feed order, of one rep when `rep_id` is not ""."""

    async def agenda(
        self, *, tenant_id: str, rep_id: str, start: datetime, end: datetime
    ) -> list[scoring_pb2.AgendaItem]:
        """The rep's meetings starting in [start, end) (not cancelled), with their account, deal and
        last interactions."""

    async def forecasts_with_outcomes(self, *, tenant_id: str, rep_id: str) -> list[ForecastOutcome]:
        """Every submitted forecast (of one rep when `rep_id` is not ""), newest period first."""

    async def readiness_counts(self, *, tenant_id: str, today: date, stale_days: int) -> ReadinessCounts: ...

    async def stale_examples(
        self, *, tenant_id: str, today: date, stale_days: int
    ) -> list[scoring_pb2.CrmRecordSummary]:
        """The largest stale open opportunities, at most ten."""

    async def open_opportunities(self, query: OpportunityQuery) -> list[scoring_pb2.CrmRecordSummary]:
        """Open opportunities as `query` selects them, with their last activity."""
