"""Client of scoring's ScoringQuery and ScoringAdmin services.

Every request carries the caller's tenant; the gateway never forwards a tenant from a request body.
"""

from __future__ import annotations

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2 as s
from groundtruth.scoring.v1 import scoring_pb2_grpc
from services.gateway.adapters.upstream import UpstreamChannel


class ScoringClient:
    """Owns one channel to scoring; `close()` releases it. Methods raise gateway errors."""

    def __init__(self, target: str, *, timeout_sec: float) -> None:
        self._upstream = UpstreamChannel("scoring", target, timeout_sec=timeout_sec)
        self._query = scoring_pb2_grpc.ScoringQueryStub(self._upstream.channel)
        self._admin = scoring_pb2_grpc.ScoringAdminStub(self._upstream.channel)

    async def close(self) -> None:
        await self._upstream.close()

    async def reachable(self) -> bool:
        return await self._upstream.reachable()

    async def list_activities(
        self, *, tenant_id: str, rep_id: str, page_size: int, page_token: str
    ) -> s.ListActivitiesResponse:
        request = s.ListActivitiesRequest(
            tenant_id=tenant_id, rep_id=rep_id, page_size=page_size, page_token=page_token
        )
        return await self._upstream.call(self._query.ListActivities, request)

    async def get_rep_score(self, *, tenant_id: str, rep_id: str) -> s.RepScore:
        request = s.GetRepScoreRequest(tenant_id=tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._query.GetRepScore, request)

    async def list_rep_scores(
        self, *, tenant_id: str, team_id: str, page_size: int, page_token: str
    ) -> s.ListRepScoresResponse:
        request = s.ListRepScoresRequest(
            tenant_id=tenant_id, team_id=team_id, page_size=page_size, page_token=page_token
        )
        return await self._upstream.call(self._query.ListRepScores, request)

    async def get_team_health(self, *, tenant_id: str, team_id: str) -> s.TeamHealth:
        request = s.GetTeamHealthRequest(tenant_id=tenant_id, team_id=team_id)
        return await self._upstream.call(self._query.GetTeamHealth, request)

    async def list_diagnostics(
        self, *, tenant_id: str, team_id: str, rep_id: str
    ) -> s.ListDiagnosticsResponse:
        request = s.ListDiagnosticsRequest(tenant_id=tenant_id, team_id=team_id, rep_id=rep_id)
        return await self._upstream.call(self._query.ListDiagnostics, request)

    async def get_field_friction(self, *, tenant_id: str, team_id: str) -> s.GetFieldFrictionResponse:
        request = s.GetFieldFrictionRequest(tenant_id=tenant_id, team_id=team_id)
        return await self._upstream.call(self._query.GetFieldFriction, request)

    async def list_matched_activities(
        self, *, tenant_id: str, after_sequence: int, page_size: int
    ) -> s.ListMatchedActivitiesResponse:
        request = s.ListMatchedActivitiesRequest(
            tenant_id=tenant_id, after_sequence=after_sequence, page_size=page_size
        )
        return await self._upstream.call(self._query.ListMatchedActivities, request)

    async def get_rep_agenda(self, *, tenant_id: str, rep_id: str, date: str) -> s.GetRepAgendaResponse:
        request = s.GetRepAgendaRequest(tenant_id=tenant_id, rep_id=rep_id, date=date)
        return await self._upstream.call(self._query.GetRepAgenda, request)

    async def list_forecast_accuracy(self, *, tenant_id: str, rep_id: str) -> s.ListForecastAccuracyResponse:
        request = s.ListForecastAccuracyRequest(tenant_id=tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._query.ListForecastAccuracy, request)

    async def get_readiness_report(self, *, tenant_id: str) -> s.ReadinessReport:
        request = s.GetReadinessReportRequest(tenant_id=tenant_id)
        return await self._upstream.call(self._query.GetReadinessReport, request)

    async def list_opportunities(self, request: s.ListOpportunitiesRequest) -> s.ListOpportunitiesResponse:
        return await self._upstream.call(self._query.ListOpportunities, request)

    async def get_tenant_config(self, *, tenant_id: str) -> crm_pb2.TenantConfig:
        request = s.GetTenantConfigRequest(tenant_id=tenant_id)
        return await self._upstream.call(self._query.GetTenantConfig, request)

    async def erase_rep(self, *, tenant_id: str, rep_id: str) -> s.EraseRepResponse:
        request = s.EraseRepRequest(tenant_id=tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._admin.EraseRep, request)
