"""Rep scores for reads (`ports.TenantRepScores`): the score view when it holds the rep, else the
short-lived read cache in front of scoring (see `score_view.py` and `read_cache.py` for why each)."""

from __future__ import annotations

from groundtruth.scoring.v1 import scoring_pb2
from services.gateway.adapters.read_cache import LOOKUPS, ReadCache
from services.gateway.adapters.score_view import ScoreView
from services.gateway.adapters.scoring_client import ScoringClient
from services.gateway.ports import Cached

_VIEW_HITS = LOOKUPS.labels("view")


class RepScoreReader:
    """Owns neither the client, the cache nor the view; built once in app.py."""

    def __init__(
        self,
        scoring: ScoringClient,
        cache: ReadCache[Cached[scoring_pb2.RepScore]],
        view: ScoreView | None,
    ) -> None:
        self._scoring = scoring
        self._cache = cache
        self._view = view

    def for_tenant(self, tenant_id: str) -> TenantRepScoreReader:
        return TenantRepScoreReader(self, tenant_id)

    async def get(self, tenant_id: str, rep_id: str) -> Cached[scoring_pb2.RepScore]:
        if self._view is not None:
            held = self._view.get(tenant_id, rep_id)
            if held is not None:
                _VIEW_HITS.inc()
                return held

        async def load() -> Cached[scoring_pb2.RepScore]:
            return Cached(await self._scoring.for_tenant(tenant_id).get_rep_score(rep_id=rep_id))

        return await self._cache.get((tenant_id, rep_id), load)

    def evict(self, tenant_id: str, rep_id: str) -> None:
        self._cache.evict((tenant_id, rep_id))
        if self._view is not None:
            self._view.evict(tenant_id, rep_id)


class TenantRepScoreReader:
    """`ports.TenantRepScores`: the reader, for one tenant."""

    __slots__ = ("_reader", "_tenant_id")

    def __init__(self, reader: RepScoreReader, tenant_id: str) -> None:
        self._reader = reader
        self._tenant_id = tenant_id

    async def get(self, rep_id: str) -> Cached[scoring_pb2.RepScore]:
        return await self._reader.get(self._tenant_id, rep_id)

    def evict(self, rep_id: str) -> None:
        self._reader.evict(self._tenant_id, rep_id)
