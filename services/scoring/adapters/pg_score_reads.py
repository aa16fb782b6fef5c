"""`ScoreReads` on PostgreSQL: stored activities, scores, team health and diagnostics, as the
ScoringQuery RPCs read them. Every query is scoped by tenant_id first."""

from __future__ import annotations

from datetime import date

from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Pool
from services.scoring.ports import ActivityPageCursor, StoredActivity

LIST_REP_ACTIVITIES = """
SELECT id, occurred_at, payload, stored_at FROM activities
WHERE tenant_id = $1 AND rep_id = $2 AND NOT is_deletion
  AND ($3::timestamptz IS NULL OR (occurred_at, id) < ($3, $4))
ORDER BY occurred_at DESC, id DESC
LIMIT $5
"""
REP_SCORE = "SELECT payload FROM rep_scores WHERE tenant_id = $1 AND rep_id = $2"
REP_SCORES = """
SELECT rep_id, payload FROM rep_scores WHERE tenant_id = $1 AND ($2 = '' OR team_id = $2)
  AND rep_id > $3 ORDER BY rep_id LIMIT $4
"""
LATEST_TEAM_HEALTH = """
SELECT payload FROM team_health_snapshots WHERE tenant_id = $1 AND team_id = $2
  AND ($3::date IS NULL OR day <= $3)
ORDER BY day DESC LIMIT 1
"""
DIAGNOSTICS = """
SELECT payload FROM diagnostics WHERE tenant_id = $1 AND ($2 = '' OR team_id = $2)
  AND ($3 = '' OR rep_id = $3)
"""


class PgScoreReads:
    """See `ScoreReads`; every read takes a pool connection of its own."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def rep_activities(
        self, *, tenant_id: str, rep_id: str, limit: int, after: ActivityPageCursor | None
    ) -> list[StoredActivity]:
        rows = await self._pool.fetch(
            LIST_REP_ACTIVITIES,
            tenant_id,
            rep_id,
            after.occurred_at if after else None,
            after.id if after else None,
            limit,
        )
        return [StoredActivity(r["id"], r["occurred_at"], r["payload"], r["stored_at"]) for r in rows]

    async def rep_score(self, tenant_id: str, rep_id: str) -> scoring_pb2.RepScore | None:
        payload = await self._pool.fetchval(REP_SCORE, tenant_id, rep_id)
        return scoring_pb2.RepScore.FromString(payload) if payload is not None else None

    async def rep_scores(
        self, *, tenant_id: str, team_id: str, after_rep_id: str, limit: int
    ) -> list[scoring_pb2.RepScore]:
        rows = await self._pool.fetch(REP_SCORES, tenant_id, team_id, after_rep_id, limit)
        return [scoring_pb2.RepScore.FromString(r["payload"]) for r in rows]

    async def latest_team_health(
        self, tenant_id: str, team_id: str, as_of: date | None = None
    ) -> scoring_pb2.TeamHealth | None:
        payload = await self._pool.fetchval(LATEST_TEAM_HEALTH, tenant_id, team_id, as_of)
        return scoring_pb2.TeamHealth.FromString(payload) if payload is not None else None

    async def diagnostics(self, *, tenant_id: str, team_id: str, rep_id: str) -> list[scoring_pb2.Diagnostic]:
        rows = await self._pool.fetch(DIAGNOSTICS, tenant_id, team_id, rep_id)
        return [scoring_pb2.Diagnostic.FromString(r["payload"]) for r in rows]
