"""Recomputes scores: changed reps shortly after their data changes, whole tenants once a day.

A pass reads the dirty marks first, then the data, so a change committed during the pass keeps its
mark (see `ScoreTransaction.clear_dirty`) and is scored by the next one. A full pass also refreshes team
health and diagnostics. Scores that did not change are not written again, so nothing is republished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

from services.scoring.domain.leadership import LeadershipUse, leadership_use, lookback_start, use_of
from services.scoring.domain.rep_score import RepScoreResult, score_rep
from services.scoring.operations.diagnostics import DiagnosticFacts
from services.scoring.operations.notifications import FeedbackNotes
from services.scoring.operations.settings import SettingsReader
from services.scoring.operations.team_health import TeamHealthFacts
from services.scoring.operations.tenant_views import TenantViews
from services.scoring.ports import RescoreClaims, ScoreStore
from services.scoring.ports.metrics import NoMetrics, ScoringMetrics

_log = logging.getLogger(__name__)
SCORE_CHUNK = 1000


@dataclass(frozen=True)
class RescoreOutcome:
    """What one tenant's pass did (the RescoreTenant answer, and a log line)."""

    tenant_id: str
    full: bool
    reps_scored: int
    scores_changed: int
    duration_ms: int


class _Alone:
    """`RescoreClaims` of a process that rescores alone: every claim is granted."""

    @contextlib.asynccontextmanager
    async def claim(self, tenant_id: str) -> AsyncIterator[bool]:
        yield True


class RescoreService:
    """Rescoring of one tenant (`rescore_tenant`) or of every tenant with something due (`run_due`).

    Both block on the store and raise when it fails; nothing is left half-written (the scores, the
    cleared marks and the record of a full pass commit together). Safe to run in several replicas at
    once: every write is idempotent and keyed by rep. The periodic passes (`run_due`) of N processes
    share the tenants through `claims`: each tenant is rescored by the one process that claims it,
    the others skip it (without `claims`, every claim is granted: one process alone).
    """

    def __init__(
        self,
        store: ScoreStore,
        views: TenantViews,
        settings: SettingsReader,
        *,
        now: Callable[[], datetime],
        full_rescore_min_interval: timedelta = timedelta(minutes=15),
        dedupe_retention: timedelta = timedelta(days=35),
        metrics: ScoringMetrics | None = None,
        feedback: FeedbackNotes | None = None,
        capture_report_max_age: timedelta = timedelta(minutes=15),
        claims: RescoreClaims | None = None,
    ) -> None:
        self._claims: RescoreClaims = claims or _Alone()
        self._capture_report_max_age = capture_report_max_age
        self._metrics = metrics or NoMetrics()
        self._feedback = feedback
        self._store = store
        self._views = views
        self._settings = settings
        self._now = now
        self._full_interval = full_rescore_min_interval
        self._dedupe_retention = dedupe_retention

    def today(self) -> date:
        return self._now().date()

    async def rescore_tenant(self, tenant_id: str, *, full: bool = True) -> RescoreOutcome:
        started = time.perf_counter()
        as_of, computed_at = self.today(), self._now()
        store = self._store
        facts: tuple[asyncio.Task[DiagnosticFacts], asyncio.Task[TeamHealthFacts]] | None = None
        try:
            if full:
                await store.refresh_statistics()
            settings = await self._settings.load(tenant_id)
            requested_at = await store.rescore_requested_at(tenant_id)
            marks = await store.dirty_marks(tenant_id)
            # The reads may run at once on several connections. The inputs come first, alone:
            # scoring waits for them. The facts of team health and diagnostics are only needed after
            # the scores are saved, so PostgreSQL computes them on the other core while this process
            # scores and saves.
            inputs = await store.rep_inputs(settings, as_of=as_of, reps=None if full else marks.reps)
            since = as_of - timedelta(days=settings.window_days - 1)
            created = await store.records_created(tenant_id, since=since, until=as_of)
            contacts = await store.contacts_created(tenant_id, since=since, until=as_of)
            leadership = await self._leadership(tenant_id, settings.window_days, as_of)
            inputs = [
                replace(
                    i,
                    records_created=created.get(i.rep_id, 0),
                    contacts_created=contacts.get(i.rep_id, 0),
                    leadership=use_of(leadership, i.rep_id, settings.window_days),
                    # Capture's reports are judged now: one older than the bound is "not reporting".
                    capture=replace(
                        i.capture, checked_at=computed_at, max_report_age=self._capture_report_max_age
                    ),
                )
                for i in inputs
            ]
            results: list[RepScoreResult] = []
            changed_count = 0
            # The transaction takes its connection first: the facts' reads started below queue for
            # the pool's other connections, never ahead of scoring and saving.
            async with store.transaction() as tx:
                if full:
                    reps = [i.rep_id for i in inputs]
                    facts = (
                        asyncio.create_task(self._views.diagnostic_facts(settings, as_of)),
                        asyncio.create_task(self._views.team_health_facts(settings, reps, as_of)),
                    )
                previous = await tx.stored_hashes(tenant_id, None if full else marks.reps)
                # In chunks, keeping only slim results: a 10,000-rep tenant fits in little memory.
                for start in range(0, len(inputs), SCORE_CHUNK):
                    scored = [score_rep(i, settings) for i in inputs[start : start + SCORE_CHUNK]]
                    hashes = {r.rep_id: r.content_hash() for r in scored}
                    changed = [r for r in scored if previous.get(r.rep_id) != hashes[r.rep_id]]
                    await tx.save_scores(changed, computed_at=computed_at, hashes=hashes)
                    changed_count += len(changed)
                    results += [r.slim() for r in scored]
                await tx.clear_dirty(tenant_id, marks)
                if full:
                    await tx.record_full_rescore(tenant_id, as_of, computed_at, requested_at)
            if facts is not None:
                diagnostic_facts, health_facts = await asyncio.gather(facts[0], facts[1])
                await self._views.refresh_team_health(settings, inputs, as_of, health_facts, results)
                active = {team: (s.active_last_7_days, s.members) for team, s in health_facts.current.items()}
                diagnostics = await self._views.refresh_diagnostics(
                    settings, list(zip(inputs, results, strict=True)), computed_at, diagnostic_facts, active
                )
                if self._feedback is not None:
                    await self._feedback.after_rescore(settings, results, diagnostics, as_of, computed_at)
        finally:
            for task in facts or ():
                task.cancel()
        kind = "full" if full else "changed"
        duration = time.perf_counter() - started
        self._metrics.rescored(kind, len(results), duration)
        outcome = RescoreOutcome(tenant_id, full, len(results), changed_count, int(duration * 1000))
        _log.info("tenant rescored", extra={**outcome.__dict__})
        return outcome

    async def _leadership(self, tenant_id: str, window_days: int, as_of: date) -> dict[str, LeadershipUse]:
        """Each person's leadership signals: days by kind in the window, weeks with a review."""
        since = lookback_start(as_of, window_days)
        rows = await self._store.crm_views(tenant_id, since=since, until=as_of)
        return leadership_use(rows, as_of=as_of, window_days=window_days)

    async def run_due(self) -> list[RescoreOutcome]:
        """One pass over every tenant with something to rescore and no other process rescoring it."""
        full, dirty = await self._store.tenants_due(self.today())
        outcomes = []
        for tenant_id in [*sorted(full), *sorted(dirty)]:
            async with self._claims.claim(tenant_id) as claimed:
                if not claimed:
                    continue  # another process is rescoring it now
                # Another process may have rescored it between the first look and the claim.
                due = await self._due(tenant_id)
                if due is not None:
                    outcomes.append(await self.rescore_tenant(tenant_id, full=due == "full"))
        await self._store.prune_dedupe_keys(older_than=self._now() - self._dedupe_retention)
        return outcomes

    async def _due(self, tenant_id: str) -> Literal["full", "changed"] | None:
        """What the tenant is due for now: a full pass (asked for, or none today), its changed reps,
        or nothing. Team health and diagnostics follow changes too, at most every
        `full_rescore_min_interval`: changes after a longer quiet time get a full pass."""
        full, dirty = await self._store.tenant_due(tenant_id, self.today())
        if full:
            return "full"
        if not dirty:
            return None
        recent = await self._store.fully_rescored_since(self._now() - self._full_interval)
        return "changed" if tenant_id in recent else "full"
