"""Recomputes scores: changed reps shortly after their data changes, whole tenants once a day.

A pass reads the dirty marks first, then the data, so a change committed during the pass keeps its
mark (see `dirty_reps`) and is scored by the next one. A full pass also refreshes team health and
diagnostics. Scores that did not change are not written again, so nothing is republished.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from prometheus_client import Counter, Histogram

from plumbing.db.pool import Pool
from services.scoring.adapters.pg_score_inputs import load_rep_inputs
from services.scoring.adapters.pg_scores import (
    clear_dirty,
    prune_dedupe_keys,
    read_dirty,
    record_full_rescore,
    save_scores,
    stored_hashes,
    tenants_due,
)
from services.scoring.adapters.pg_settings import load_settings
from services.scoring.adapters.pg_statistics import refresh_stale_statistics
from services.scoring.domain.rep_score import RepScoreResult, score_rep
from services.scoring.tenant_views import (
    load_diagnostic_facts,
    load_team_health_facts,
    refresh_diagnostics,
    refresh_team_health,
)

_log = logging.getLogger(__name__)
RESCORED = Counter("gt_scoring_reps_rescored_total", "Reps whose scores were recomputed", ["kind"])
SCORE_CHUNK = 1000
RESCORE_SECONDS = Histogram("gt_scoring_rescore_seconds", "Duration of one tenant rescore", ["kind"])


@dataclass(frozen=True)
class RescoreOutcome:
    tenant_id: str
    full: bool
    reps_scored: int
    scores_changed: int
    duration_ms: int


class RescoreService:
    """Safe to run in several replicas at once: every write is idempotent and keyed by rep."""

    def __init__(
        self,
        pool: Pool,
        *,
        now: Callable[[], datetime],
        full_rescore_min_interval: timedelta = timedelta(minutes=15),
        dedupe_retention: timedelta = timedelta(days=35),
    ) -> None:
        self._pool = pool
        self._now = now
        self._full_interval = full_rescore_min_interval
        self._dedupe_retention = dedupe_retention

    def today(self) -> date:
        return self._now().date()

    async def rescore_tenant(self, tenant_id: str, *, full: bool = True) -> RescoreOutcome:
        started = time.perf_counter()
        as_of, computed_at = self.today(), self._now()
        background: list[asyncio.Task[Any]] = []
        try:
            async with self._pool.acquire() as conn:
                if full:
                    await refresh_stale_statistics(conn)
                settings = await load_settings(conn, tenant_id)
                requested_at = await conn.fetchval(
                    "SELECT requested_at FROM rescore_requests WHERE tenant_id = $1", tenant_id
                )
                marks = await read_dirty(conn, tenant_id)
                # The reads run on other pool connections, at once (see `fetch_all`). The inputs come
                # first, alone: scoring waits for them. The facts of team health and diagnostics
                # are only needed after the scores are saved, so PostgreSQL computes them on the
                # other core while this process scores and saves.
                inputs = await load_rep_inputs(
                    self._pool, settings, as_of=as_of, reps=None if full else marks.reps
                )
                if full:
                    reps = [i.rep_id for i in inputs]
                    background.append(asyncio.create_task(load_diagnostic_facts(self._pool, settings, as_of)))
                    background.append(
                        asyncio.create_task(load_team_health_facts(self._pool, settings, reps, as_of))
                    )
                previous = await stored_hashes(conn, tenant_id, None if full else marks.reps)
                results: list[RepScoreResult] = []
                changed_count = 0
                async with conn.transaction():
                    # In chunks, keeping only slim results: a 10,000-rep tenant fits in little memory.
                    for start in range(0, len(inputs), SCORE_CHUNK):
                        scored = [score_rep(i, settings) for i in inputs[start : start + SCORE_CHUNK]]
                        hashes = {r.rep_id: r.content_hash() for r in scored}
                        changed = [r for r in scored if previous.get(r.rep_id) != hashes[r.rep_id]]
                        await save_scores(conn, changed, computed_at=computed_at, hashes=hashes)
                        changed_count += len(changed)
                        results += [r.slim() for r in scored]
                    await clear_dirty(conn, tenant_id, marks)
                    if full:
                        await record_full_rescore(conn, tenant_id, as_of, computed_at, requested_at)
                if full:
                    diagnostic_facts, health_facts = await asyncio.gather(*background)
                    await refresh_team_health(conn, settings, inputs, as_of, health_facts)
                    await refresh_diagnostics(
                        conn,
                        settings,
                        list(zip(inputs, results, strict=True)),
                        as_of,
                        computed_at,
                        diagnostic_facts,
                    )
        finally:
            for task in background:
                task.cancel()
        kind = "full" if full else "changed"
        duration = time.perf_counter() - started
        RESCORED.labels(kind).inc(len(results))
        RESCORE_SECONDS.labels(kind).observe(duration)
        outcome = RescoreOutcome(tenant_id, full, len(results), changed_count, int(duration * 1000))
        _log.info("tenant rescored", extra={**outcome.__dict__})
        return outcome

    async def run_due(self) -> list[RescoreOutcome]:
        """One pass over every tenant with something to rescore."""
        async with self._pool.acquire() as conn:
            full, dirty = await tenants_due(conn, self.today())
            recent = {
                r["tenant_id"]
                for r in await conn.fetch(
                    "SELECT tenant_id FROM tenant_rescores WHERE last_full_at > $1",
                    self._now() - self._full_interval,
                )
            }
        outcomes = [await self.rescore_tenant(t, full=True) for t in sorted(full)]
        # Team health and diagnostics follow changes too, at most every `full_rescore_min_interval`.
        outcomes += [await self.rescore_tenant(t, full=t not in recent) for t in sorted(dirty)]
        async with self._pool.acquire() as conn:
            await prune_dedupe_keys(conn, older_than=self._now() - self._dedupe_retention)
        return outcomes
