"""Client of scoring's ScoringQuery and ScoringAdmin services.

`ScoringClient` owns the channel; `for_tenant` hands out a `TenantScoringClient` (`ports.TenantScoring`)
whose every request carries that tenant, so no request the gateway sends can name another one.
"""

from __future__ import annotations

from groundtruth.scoring.v1 import scoring_pb2 as s
from groundtruth.scoring.v1 import scoring_pb2_grpc
from plumbing.tls import MeshTls
from services.gateway.adapters.upstream import UpstreamChannel


class ScoringClient:
    """Owns one channel to scoring; `close()` releases it."""

    def __init__(self, target: str, *, tls: MeshTls, timeout_sec: float) -> None:
        self._upstream = UpstreamChannel("scoring", target, tls=tls, timeout_sec=timeout_sec)
        self._query = scoring_pb2_grpc.ScoringQueryStub(self._upstream.channel)
        self._admin = scoring_pb2_grpc.ScoringAdminStub(self._upstream.channel)

    async def close(self) -> None:
        await self._upstream.close()

    async def reachable(self) -> bool:
        return await self._upstream.reachable()

    def for_tenant(self, tenant_id: str) -> TenantScoringClient:
        return TenantScoringClient(self._upstream, self._query, self._admin, tenant_id)


class TenantScoringClient:
    """Scoring for one tenant. Methods raise gateway errors (`upstream.translate`)."""

    __slots__ = ("_admin", "_query", "_tenant_id", "_upstream")

    def __init__(
        self,
        upstream: UpstreamChannel,
        query: scoring_pb2_grpc.ScoringQueryAsyncStub,
        admin: scoring_pb2_grpc.ScoringAdminAsyncStub,
        tenant_id: str,
    ) -> None:
        self._upstream = upstream
        self._query = query
        self._admin = admin
        self._tenant_id = tenant_id

    async def list_activities(
        self, *, rep_id: str, page_size: int, page_token: str
    ) -> s.ListActivitiesResponse:
        request = s.ListActivitiesRequest(
            tenant_id=self._tenant_id, rep_id=rep_id, page_size=page_size, page_token=page_token
        )
        return await self._upstream.call(self._query.ListActivities, request)

    async def get_rep_score(self, *, rep_id: str) -> s.RepScore:
        request = s.GetRepScoreRequest(tenant_id=self._tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._query.GetRepScore, request)

    async def list_rep_scores(
        self, *, team_id: str, page_size: int, page_token: str, role: str = ""
    ) -> s.ListRepScoresResponse:
        request = s.ListRepScoresRequest(
            tenant_id=self._tenant_id, team_id=team_id, page_size=page_size, page_token=page_token, role=role
        )
        return await self._upstream.call(self._query.ListRepScores, request)

    async def list_notifications(self, *, team_id: str, limit: int) -> s.ListNotificationsResponse:
        request = s.ListNotificationsRequest(tenant_id=self._tenant_id, team_id=team_id, limit=limit)
        return await self._upstream.call(self._query.ListNotifications, request)

    async def get_team_health(self, *, team_id: str, as_of: str = "") -> s.TeamHealth:
        request = s.GetTeamHealthRequest(tenant_id=self._tenant_id, team_id=team_id, as_of=as_of)
        return await self._upstream.call(self._query.GetTeamHealth, request)

    async def list_diagnostics(self, *, team_id: str, rep_id: str) -> s.ListDiagnosticsResponse:
        request = s.ListDiagnosticsRequest(tenant_id=self._tenant_id, team_id=team_id, rep_id=rep_id)
        return await self._upstream.call(self._query.ListDiagnostics, request)

    async def get_field_friction(self, *, team_id: str) -> s.GetFieldFrictionResponse:
        request = s.GetFieldFrictionRequest(tenant_id=self._tenant_id, team_id=team_id)
        return await self._upstream.call(self._query.GetFieldFriction, request)

    async def list_matched_activities(
        self, *, after_sequence: int, page_size: int
    ) -> s.ListMatchedActivitiesResponse:
        request = s.ListMatchedActivitiesRequest(
            tenant_id=self._tenant_id, after_sequence=after_sequence, page_size=page_size
        )
        return await self._upstream.call(self._query.ListMatchedActivities, request)

    async def get_rep_agenda(self, *, rep_id: str, date: str, time_zone: str = "") -> s.GetRepAgendaResponse:
        request = s.GetRepAgendaRequest(
            tenant_id=self._tenant_id, rep_id=rep_id, date=date, time_zone=time_zone
        )
        return await self._upstream.call(self._query.GetRepAgenda, request)

    async def list_forecast_accuracy(self, *, rep_id: str) -> s.ListForecastAccuracyResponse:
        request = s.ListForecastAccuracyRequest(tenant_id=self._tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._query.ListForecastAccuracy, request)

    async def get_readiness_report(self) -> s.ReadinessReport:
        request = s.GetReadinessReportRequest(tenant_id=self._tenant_id)
        return await self._upstream.call(self._query.GetReadinessReport, request)

    async def list_opportunities(
        self, *, team_id: str, rep_id: str, review_ready_only: bool, page_size: int, page_token: str
    ) -> s.ListOpportunitiesResponse:
        request = s.ListOpportunitiesRequest(
            tenant_id=self._tenant_id,
            team_id=team_id,
            rep_id=rep_id,
            review_ready_only=review_ready_only,
            page_size=page_size,
            page_token=page_token,
        )
        return await self._upstream.call(self._query.ListOpportunities, request)

    async def erase_rep(self, *, rep_id: str) -> s.EraseRepResponse:
        request = s.EraseRepRequest(tenant_id=self._tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._admin.EraseRep, request)
