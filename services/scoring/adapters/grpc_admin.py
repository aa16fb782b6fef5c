"""The ScoringAdmin gRPC service: erasure and on-demand rescoring."""

from __future__ import annotations

import asyncio
import logging

from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.db.pool import Pool
from services.scoring.adapters.grpc_validation import Context, require_ids
from services.scoring.adapters.pg_erasure import erase_rep
from services.scoring.adapters.relays import Relays
from services.scoring.rescore import RescoreService

_log = logging.getLogger(__name__)
TOMBSTONE_WAIT_SEC = 5.0


class ScoringAdminServicer(scoring_pb2_grpc.ScoringAdminServicer):
    def __init__(self, pool: Pool, *, relays: Relays, rescore: RescoreService) -> None:
        self._pool = pool
        self._relays = relays
        self._rescore = rescore

    async def EraseRep(
        self, request: scoring_pb2.EraseRepRequest, context: Context
    ) -> scoring_pb2.EraseRepResponse:
        """Erases in one transaction, then publishes the tombstone; if the broker does not answer in
        time the tombstone stays queued and the relay publishes it later (tombstone_published false)."""
        await require_ids(context, tenant_id=request.tenant_id, rep_id=request.rep_id)
        counts = await erase_rep(self._pool, request.tenant_id, request.rep_id)
        published = False
        try:
            await asyncio.wait_for(self._relays.publish_once(), timeout=TOMBSTONE_WAIT_SEC)
            published = not await self._pool.fetchval(
                "SELECT EXISTS (SELECT 1 FROM score_tombstones WHERE tenant_id = $1 AND rep_id = $2)",
                request.tenant_id,
                request.rep_id,
            )
        except Exception as exc:
            _log.warning("tombstone left queued", extra={"error": repr(exc)})
        _log.info("rep erased", extra={"tenant_id": request.tenant_id, "rep_id": request.rep_id})
        return scoring_pb2.EraseRepResponse(
            activities_deleted=counts.activities,
            aggregates_deleted=counts.aggregates,
            scores_deleted=counts.scores,
            crm_entries_deleted=counts.crm_entries,
            tombstone_published=published,
        )

    async def RescoreTenant(
        self, request: scoring_pb2.RescoreTenantRequest, context: Context
    ) -> scoring_pb2.RescoreTenantResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        outcome = await self._rescore.rescore_tenant(request.tenant_id, full=True)
        self._relays.nudge()
        return scoring_pb2.RescoreTenantResponse(
            reps_scored=outcome.reps_scored,
            scores_changed=outcome.scores_changed,
            duration_ms=outcome.duration_ms,
        )
