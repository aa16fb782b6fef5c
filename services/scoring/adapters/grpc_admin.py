"""The ScoringAdmin gRPC service: erasure and on-demand rescoring, validated here and done by
`ScoringAdmin`."""

from __future__ import annotations

from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.scoring.adapters.grpc_validation import Context, require_ids
from services.scoring.operations.admin import ScoringAdmin


class ScoringAdminServicer(scoring_pb2_grpc.ScoringAdminServicer):
    """Bad input is INVALID_ARGUMENT; each RPC answers once its work is committed."""

    def __init__(self, admin: ScoringAdmin) -> None:
        self._admin = admin

    async def EraseRep(
        self, request: scoring_pb2.EraseRepRequest, context: Context
    ) -> scoring_pb2.EraseRepResponse:
        """Erases in one transaction, then publishes the tombstone; if the broker does not answer in
        time the tombstone stays queued and the relay publishes it later (tombstone_published false)."""
        await require_ids(context, tenant_id=request.tenant_id, rep_id=request.rep_id)
        outcome = await self._admin.erase_rep(request.tenant_id, request.rep_id)
        counts = outcome.counts
        return scoring_pb2.EraseRepResponse(
            activities_deleted=counts.activities,
            aggregates_deleted=counts.aggregates,
            scores_deleted=counts.scores,
            crm_entries_deleted=counts.crm_entries,
            tombstone_published=outcome.tombstone_published,
        )

    async def RescoreTenant(
        self, request: scoring_pb2.RescoreTenantRequest, context: Context
    ) -> scoring_pb2.RescoreTenantResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        outcome = await self._admin.rescore_tenant(request.tenant_id)
        return scoring_pb2.RescoreTenantResponse(
            reps_scored=outcome.reps_scored,
            scores_changed=outcome.scores_changed,
            duration_ms=outcome.duration_ms,
        )
