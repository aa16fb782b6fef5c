"""In-memory stand-ins for scoring's ports (besides the ingest store in `memory_store.py`), for the
unit tests of the operations. Each records what was asked of it, in order, in `calls`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.adapters.proto_mapping import team_health_proto
from services.scoring.domain.crm_events import ConfigUpdate
from services.scoring.domain.diagnostics import Diagnostic
from services.scoring.domain.ingest_plan import StoredConfig
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.team_health import ActivityStats
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.ports import (
    ActivityPageCursor,
    DirtyMarks,
    DuplicateGroup,
    ErasureCounts,
    FeedBehind,
    FeedPage,
    FieldGap,
    ForecastOutcome,
    OpportunityQuery,
    QueuedTombstone,
    ReadinessCounts,
    StageHistory,
    StoredActivity,
    TeamHealthSnapshot,
    UnpublishedScore,
)


class FakeConfigs:
    """`ConfigStore`: configurations set by the test."""

    def __init__(self) -> None:
        self.stored: dict[str, StoredConfig] = {}
        self.reads = 0

    def put(self, tenant_id: str, config: crm_pb2.TenantConfig, event_id: str = "e") -> None:
        self.stored[tenant_id] = StoredConfig(tenant_id, (config.version, event_id), ConfigUpdate(config))

    async def stored_config(self, tenant_id: str) -> StoredConfig | None:
        self.reads += 1
        return self.stored.get(tenant_id)


@dataclass
class FakeScoreReads:
    """`ScoreReads` over lists set by the test (one tenant)."""

    activities: list[StoredActivity] = field(default_factory=list)
    scores: dict[str, scoring_pb2.RepScore] = field(default_factory=dict)
    team_health: dict[str, scoring_pb2.TeamHealth] = field(default_factory=dict)
    stored_diagnostics: list[scoring_pb2.Diagnostic] = field(default_factory=list)

    async def rep_activities(
        self, *, tenant_id: str, rep_id: str, limit: int, after: ActivityPageCursor | None
    ) -> list[StoredActivity]:
        return self.activities[:limit]

    async def rep_score(self, tenant_id: str, rep_id: str) -> scoring_pb2.RepScore | None:
        return self.scores.get(rep_id)

    async def rep_scores(
        self, *, tenant_id: str, team_id: str, after_rep_id: str, limit: int
    ) -> list[scoring_pb2.RepScore]:
        found = [s for r, s in sorted(self.scores.items()) if r > after_rep_id]
        return [s for s in found if not team_id or s.team_id == team_id][:limit]

    async def latest_team_health(
        self, tenant_id: str, team_id: str, as_of: date | None = None
    ) -> scoring_pb2.TeamHealth | None:
        health = self.team_health.get(team_id)
        if health is None or (as_of is not None and date.fromisoformat(health.as_of) > as_of):
            return None
        return health

    async def diagnostics(self, *, tenant_id: str, team_id: str, rep_id: str) -> list[scoring_pb2.Diagnostic]:
        return list(self.stored_diagnostics)


@dataclass
class FakeTenantFacts:
    """`TenantFacts` and `TenantViewWriter`: facts set by the test, writes kept."""

    gaps: list[FieldGap] = field(default_factory=list)
    duplicates: list[DuplicateGroup] = field(default_factory=list)
    saved_health: list[tuple[date, list[scoring_pb2.TeamHealth]]] = field(default_factory=list)
    saved_diagnostics: list[tuple[str, list[Diagnostic]]] = field(default_factory=list)

    async def activity_stats(
        self, tenant_id: str, groups: Mapping[str, Sequence[str]], days: Sequence[date]
    ) -> list[dict[str, ActivityStats]]:
        return [{g: ActivityStats(len(m), 0, 0, ()) for g, m in groups.items()} for _ in days]

    async def team_health_snapshots(
        self, tenant_id: str, days: Sequence[date]
    ) -> dict[tuple[str, date], scoring_pb2.TeamHealth]:
        return {}

    async def field_gaps(self, settings: TenantSettings) -> list[FieldGap]:
        return list(self.gaps)

    async def open_by_stage(self, tenant_id: str) -> list[tuple[str, str, int]]:
        return []

    async def stage_histories(self, tenant_id: str) -> list[StageHistory]:
        return []

    async def unknown_addresses(self, settings: TenantSettings, since: date) -> list[tuple[str, str, int]]:
        return []

    async def duplicate_groups(self, tenant_id: str) -> list[DuplicateGroup]:
        return list(self.duplicates)

    async def save_team_health(self, day: date, snapshots: Sequence[TeamHealthSnapshot]) -> None:
        self.saved_health.append((day, [team_health_proto(s) for s in snapshots]))

    async def replace_diagnostics(
        self, tenant_id: str, diagnostics: Sequence[Diagnostic], computed_at: datetime
    ) -> None:
        self.saved_diagnostics.append((tenant_id, list(diagnostics)))


@dataclass
class FakeCrmReads:
    """`CrmReads` over an empty CRM mirror with 14 open opportunities and three on the first page."""

    agenda_days: list[date] = field(default_factory=list)
    agenda_windows: list[tuple[datetime, datetime]] = field(default_factory=list)
    opportunity_queries: list[OpportunityQuery] = field(default_factory=list)

    async def matched_feed(
        self, *, tenant_id: str, after: int, limit: int, rep_id: str
    ) -> list[scoring_pb2.MatchedActivity]:
        return []

    async def agenda(
        self, *, tenant_id: str, rep_id: str, start: datetime, end: datetime
    ) -> list[scoring_pb2.AgendaItem]:
        self.agenda_days.append(start.date())
        self.agenda_windows.append((start, end))
        return []

    async def forecasts_with_outcomes(self, *, tenant_id: str, rep_id: str) -> list[ForecastOutcome]:
        return []

    async def readiness_counts(self, *, tenant_id: str, today: date, stale_days: int) -> ReadinessCounts:
        return ReadinessCounts(open_opportunities=14, past_close_date=2, stale=5)

    async def stale_examples(
        self, *, tenant_id: str, today: date, stale_days: int
    ) -> list[scoring_pb2.CrmRecordSummary]:
        return []

    async def open_opportunities(self, query: OpportunityQuery) -> list[scoring_pb2.CrmRecordSummary]:
        self.opportunity_queries.append(query)
        return [scoring_pb2.CrmRecordSummary(crm_id=f"o{i}") for i in range(3)][: query.limit]


@dataclass
class FakeScoreStore:
    """`ScoreStore` and its `ScoreTransaction`: inputs and hashes set by the test; a transaction's
    writes are kept only when its block ends normally."""

    inputs: list[RepInputs] = field(default_factory=list)
    hashes: dict[str, bytes] = field(default_factory=dict)
    marks: DirtyMarks = field(default_factory=lambda: DirtyMarks([], []))
    calls: list[str] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)
    cleared: list[DirtyMarks] = field(default_factory=list)
    full_passes: list[tuple[str, date]] = field(default_factory=list)
    _pending: list[tuple[str, object]] = field(default_factory=list)

    async def refresh_statistics(self) -> list[str]:
        self.calls.append("refresh_statistics")
        return []

    async def rescore_requested_at(self, tenant_id: str) -> datetime | None:
        return None

    async def dirty_marks(self, tenant_id: str) -> DirtyMarks:
        self.calls.append("dirty_marks")
        return self.marks

    async def records_created(self, tenant_id: str, *, since: date, until: date) -> dict[str, int]:
        return {}

    async def contacts_created(self, tenant_id: str, *, since: date, until: date) -> dict[str, int]:
        return {}

    async def crm_views(
        self, tenant_id: str, *, since: date, until: date
    ) -> list[tuple[str, date, str, int]]:
        return []

    async def rep_inputs(
        self, settings: TenantSettings, *, as_of: date, reps: Collection[str] | None
    ) -> list[RepInputs]:
        self.calls.append(f"rep_inputs {sorted(reps) if reps is not None else 'all'}")
        return [i for i in self.inputs if reps is None or i.rep_id in reps]

    async def stored_hashes(self, tenant_id: str, reps: Collection[str] | None) -> dict[str, bytes]:
        self.calls.append("stored_hashes")
        return dict(self.hashes)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeScoreStore]:
        self.calls.append("transaction")
        self._pending = []
        yield self
        for kind, value in self._pending:
            if kind == "save":
                assert isinstance(value, str)
                self.saved.append(value)
            elif kind == "clear":
                assert isinstance(value, DirtyMarks)
                self.cleared.append(value)
            else:
                assert isinstance(value, tuple)
                self.full_passes.append(value)

    async def save_scores(
        self, results: Sequence[RepScoreResult], *, computed_at: datetime, hashes: Mapping[str, bytes]
    ) -> None:
        self._pending += [("save", r.rep_id) for r in results]

    async def clear_dirty(self, tenant_id: str, marks: DirtyMarks) -> None:
        self._pending.append(("clear", marks))

    async def record_full_rescore(
        self, tenant_id: str, day: date, at: datetime, requested_at: datetime | None
    ) -> None:
        self._pending.append(("full", (tenant_id, day)))

    async def tenants_due(self, today: date) -> tuple[set[str], set[str]]:
        return set(), set()

    async def tenant_due(self, tenant_id: str, today: date) -> tuple[bool, bool]:
        return False, False

    async def fully_rescored_since(self, since: datetime) -> set[str]:
        return set()

    async def prune_dedupe_keys(self, *, older_than: datetime) -> int:
        return 0


@dataclass(frozen=True)
class FeedEntry:
    """One position of a tenant's write-back feed as `FakeOutbox` holds it."""

    tenant_id: str
    rep_id: str
    value: bytes
    feed_sequence: int


@dataclass
class FakeOutbox:
    """`RelayStore`: what is waiting, and what was marked published."""

    tombstones: list[QueuedTombstone] = field(default_factory=list)
    scores: list[UnpublishedScore] = field(default_factory=list)
    feeds: dict[str, list[FeedEntry]] = field(default_factory=dict)
    published_through: dict[str, int] = field(default_factory=dict)

    async def queued_tombstones(self, limit: int) -> list[QueuedTombstone]:
        return self.tombstones[:limit]

    async def forget_tombstones(self, published: Sequence[QueuedTombstone]) -> None:
        self.tombstones = [t for t in self.tombstones if t not in published]

    async def unpublished_scores(self, limit: int) -> list[UnpublishedScore]:
        return self.scores[:limit]

    async def mark_published(self, published: Sequence[UnpublishedScore]) -> None:
        self.scores = [s for s in self.scores if s not in published]

    leading: bool = True
    stepped_down: int = field(default=0, compare=False)

    async def lead(self) -> bool:
        return self.leading

    async def step_down(self) -> None:
        self.stepped_down += 1

    async def feeds_behind(self) -> list[FeedBehind]:
        return [
            FeedBehind(tenant, self.published_through.get(tenant, 0), entries[-1].feed_sequence)
            for tenant, entries in sorted(self.feeds.items())
            if entries and entries[-1].feed_sequence > self.published_through.get(tenant, 0)
        ]

    async def feed_page(self, tenant_id: str, *, after: int, limit: int) -> FeedPage | None:
        entries = [e for e in self.feeds.get(tenant_id, []) if e.feed_sequence > after][:limit]
        if not entries:
            return None
        return FeedPage([(e.tenant_id, e.rep_id, e.value) for e in entries], entries[-1].feed_sequence)

    async def feed_published_through(self, tenant_id: str, sequence: int) -> None:
        self.published_through[tenant_id] = max(self.published_through.get(tenant_id, 0), sequence)


@dataclass
class FakeBroker:
    """`RelayPublisher`: keeps what it was given, or raises `failure` when set."""

    records: list[tuple[str, str, str, bytes | None]] = field(
        default_factory=list
    )  # topic, tenant, rep, value
    failure: Exception | None = None

    async def publish_scores(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        self._take("scores", list(records))

    async def publish_tombstones(self, reps: Sequence[tuple[str, str]]) -> None:
        self._take("scores", [(t, r, None) for t, r in reps])

    async def publish_matched(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        self._take("matched", list(records))

    def _take(self, topic: str, records: Sequence[tuple[str, str, bytes | None]]) -> None:
        if self.failure is not None:
            raise self.failure
        self.records += [(topic, t, r, v) for t, r, v in records]


@dataclass
class FakeErasure:
    """`ErasureStore`: erasing queues a tombstone in `outbox`."""

    outbox: FakeOutbox
    erased: list[tuple[str, str]] = field(default_factory=list)

    async def erase_rep(self, tenant_id: str, rep_id: str) -> ErasureCounts:
        self.erased.append((tenant_id, rep_id))
        self.outbox.tombstones.append(QueuedTombstone(tenant_id, rep_id, datetime(2026, 1, 1)))
        return ErasureCounts(activities=3, aggregates=2, scores=1, crm_entries=0)

    async def tombstone_queued(self, tenant_id: str, rep_id: str) -> bool:
        return any((t.tenant_id, t.rep_id) == (tenant_id, rep_id) for t in self.outbox.tombstones)
