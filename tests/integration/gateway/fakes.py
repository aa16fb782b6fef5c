"""In-process fakes of OUR OWN upstreams (scoring's ScoringQuery/ScoringAdmin, capture's CaptureAdmin)
implementing the declared contracts over in-memory data, for testing the gateway's own logic while
those RPCs are built in parallel. Kafka and PostgreSQL stay real in every gateway test.

Every answer carries `secret-of-<tenant>` somewhere, and every request's tenant is recorded, so a
test can prove that a caller of one tenant never made the gateway ask for, or show, another's data.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.capture.v1 import capture_pb2_grpc
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2 as s
from groundtruth.scoring.v1 import scoring_pb2_grpc
from plumbing.grpc_server import GrpcServer, start_grpc_server
from plumbing.tls import MeshTls
from tests.factories import BASE_TIME

Context = grpc.aio.ServicerContext[Any, Any]
TEAMS = {"team-east": ("mgr-1", ["rep-1", "rep-2"]), "team-west": ("mgr-2", ["rep-9"])}
REPS = ["mgr-1", "rep-1", "rep-2", "mgr-2", "rep-9"]


def marker(tenant_id: str) -> str:
    return f"secret-of-{tenant_id}"


def _team_of(rep_id: str) -> str:
    return next((team for team, (_, members) in TEAMS.items() if rep_id in members), "")


def _ts() -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(BASE_TIME)
    return ts


@dataclass
class Recorder:
    """Every upstream request as (method, tenant_id)."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def record(self, method: str, tenant_id: str) -> None:
        self.calls.append((method, tenant_id))


def matched(tenant_id: str, sequence: int, rep_id: str = "rep-1") -> s.MatchedActivity:
    activity = activity_pb2.Activity(
        id=f"act-{tenant_id}-{sequence}",
        tenant_id=tenant_id,
        rep_id=rep_id,
        kind=activity_pb2.ACTIVITY_KIND_MEETING,
        provider=activity_pb2.PROVIDER_GOOGLE,
        occurred_at=_ts(),
    )
    return s.MatchedActivity(
        event_id=f"m-{sequence}",
        tenant_id=tenant_id,
        activity=activity,
        account_crm_id="001A",
        confidence=0.9,
        reason=marker(tenant_id),
        feed_sequence=sequence,
    )


class FakeScoring(scoring_pb2_grpc.ScoringQueryServicer, scoring_pb2_grpc.ScoringAdminServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.feed: dict[str, list[s.MatchedActivity]] = {}
        self.unavailable = False

    async def _enter(self, method: str, tenant_id: str, context: Context) -> None:
        self.recorder.record(method, tenant_id)
        if self.unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "scoring is down")
        if not tenant_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "tenant_id is required")

    def _score(self, tenant_id: str, rep_id: str) -> s.RepScore:
        return s.RepScore(
            event_id=f"score-{rep_id}",
            tenant_id=tenant_id,
            rep_id=rep_id,
            occurred_at=_ts(),
            window_start="2026-10-05",
            window_end="2026-11-02",
            adoption_score=72.5,
            data_quality_score=64.0,
            adoption_inputs=[
                s.ScoreInput(name="login_days", value=3, target=4, weight=0.3, contribution=22.5, unit="days",
                             explanation=marker(tenant_id), numerator=3, denominator=4)
            ],
            classification=s.CLASSIFICATION_ADOPTER,
            reasons=[marker(tenant_id)],
            trend=[s.WeeklyPoint(week_start="2026-10-26", adoption_score=70, data_quality_score=60)],
            team_id=_team_of(rep_id),
        )  # fmt: skip

    async def ListActivities(
        self, request: s.ListActivitiesRequest, context: Context
    ) -> s.ListActivitiesResponse:
        await self._enter("ListActivities", request.tenant_id, context)
        return s.ListActivitiesResponse()

    async def GetRepScore(self, request: s.GetRepScoreRequest, context: Context) -> s.RepScore:
        await self._enter("GetRepScore", request.tenant_id, context)
        if request.rep_id.startswith("nobody"):  # every other rep has a score, so fuzzing sees answers
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no score for rep {request.rep_id!r}")
        return self._score(request.tenant_id, request.rep_id)

    async def ListRepScores(
        self, request: s.ListRepScoresRequest, context: Context
    ) -> s.ListRepScoresResponse:
        await self._enter("ListRepScores", request.tenant_id, context)
        reps = TEAMS[request.team_id][1] if request.team_id in TEAMS else REPS
        return s.ListRepScoresResponse(scores=[self._score(request.tenant_id, r) for r in reps])

    async def GetTeamHealth(self, request: s.GetTeamHealthRequest, context: Context) -> s.TeamHealth:
        await self._enter("GetTeamHealth", request.tenant_id, context)
        if request.as_of and request.as_of < "2026-11-02":  # the one snapshot this fake keeps
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no team health on or before {request.as_of}")
        metric = s.HealthMetric(name="weekly_active_users", value=0.8, target=0.8, meets_target=True,
                                higher_is_better=True, explanation=marker(request.tenant_id))  # fmt: skip
        return s.TeamHealth(
            tenant_id=request.tenant_id,
            team_id=request.team_id,
            as_of="2026-11-02",
            metrics=[metric],
            milestones=[
                s.HealthMilestone(days_after_go_live=30, date="2026-11-01", reached=True, metrics=[metric])
            ],
        )

    async def ListDiagnostics(
        self, request: s.ListDiagnosticsRequest, context: Context
    ) -> s.ListDiagnosticsResponse:
        await self._enter("ListDiagnostics", request.tenant_id, context)
        diagnostics = [
            s.Diagnostic(id=f"d-{rep}", tenant_id=request.tenant_id, team_id=_team_of(rep), rep_id=rep,
                         kind="friction_field", severity="warning", title=marker(request.tenant_id),
                         recommendation="defer the field", evidence=[s.Evidence(label="empty", value="80%")])
            for rep in ("rep-1", "rep-9")
        ]  # fmt: skip
        return s.ListDiagnosticsResponse(diagnostics=diagnostics)

    async def ListNotifications(
        self, request: s.ListNotificationsRequest, context: Context
    ) -> s.ListNotificationsResponse:
        await self._enter("ListNotifications", request.tenant_id, context)
        note = s.Notification(
            id=f"digest:{request.team_id or '-'}:2026-W45",
            tenant_id=request.tenant_id,
            team_id=request.team_id,
            kind="digest",
            title=marker(request.tenant_id),
        )
        return s.ListNotificationsResponse(notifications=[note])

    async def GetFieldFriction(
        self, request: s.GetFieldFrictionRequest, context: Context
    ) -> s.GetFieldFrictionResponse:
        await self._enter("GetFieldFriction", request.tenant_id, context)
        friction = s.FieldFriction(
            field=marker(request.tenant_id), open_opportunities=10, empty=8, empty_share=0.8
        )
        return s.GetFieldFrictionResponse(fields=[friction])

    async def ListMatchedActivities(
        self, request: s.ListMatchedActivitiesRequest, context: Context
    ) -> s.ListMatchedActivitiesResponse:
        await self._enter("ListMatchedActivities", request.tenant_id, context)
        size = request.page_size or 100
        after = [a for a in self.feed.get(request.tenant_id, []) if a.feed_sequence > request.after_sequence]
        page = after[:size]
        last = page[-1].feed_sequence if page else request.after_sequence
        return s.ListMatchedActivitiesResponse(activities=page, last_sequence=last)

    async def GetRepAgenda(self, request: s.GetRepAgendaRequest, context: Context) -> s.GetRepAgendaResponse:
        await self._enter("GetRepAgenda", request.tenant_id, context)
        account = s.CrmRecordSummary(crm_id="001A", object_type="account", name=marker(request.tenant_id))
        item = s.AgendaItem(meeting=matched(request.tenant_id, 1, request.rep_id).activity, account=account)
        return s.GetRepAgendaResponse(items=[item])

    async def ListForecastAccuracy(
        self, request: s.ListForecastAccuracyRequest, context: Context
    ) -> s.ListForecastAccuracyResponse:
        await self._enter("ListForecastAccuracy", request.tenant_id, context)
        reps = [request.rep_id] if request.rep_id else ["rep-1", "rep-9"]
        entries = [
            s.ForecastAccuracy(tenant_id=request.tenant_id, rep_id=r, period=marker(request.tenant_id),
                               committed_amount=100, closed_won_amount=95, error_ratio=0.05,
                               within_target=True)
            for r in reps
        ]  # fmt: skip
        return s.ListForecastAccuracyResponse(entries=entries)

    async def GetReadinessReport(
        self, request: s.GetReadinessReportRequest, context: Context
    ) -> s.ReadinessReport:
        await self._enter("GetReadinessReport", request.tenant_id, context)
        return s.ReadinessReport(
            tenant_id=request.tenant_id, as_of=marker(request.tenant_id), open_opportunities=3
        )

    async def ListOpportunities(
        self, request: s.ListOpportunitiesRequest, context: Context
    ) -> s.ListOpportunitiesResponse:
        await self._enter("ListOpportunities", request.tenant_id, context)
        owners = ["rep-1", "rep-9"]
        if request.rep_id:
            owners = [request.rep_id]
        elif request.team_id in TEAMS:
            owners = [o for o in owners if _team_of(o) == request.team_id]
        return s.ListOpportunitiesResponse(
            opportunities=[
                s.CrmRecordSummary(crm_id=f"006-{o}", object_type="opportunity",
                                   name=marker(request.tenant_id), owner_rep_id=o, stage="Proposal",
                                   amount=1000.0, modified_at=_ts())
                for o in owners
            ]
        )  # fmt: skip

    async def GetTenantConfig(
        self, request: s.GetTenantConfigRequest, context: Context
    ) -> crm_pb2.TenantConfig:
        await self._enter("GetTenantConfig", request.tenant_id, context)
        return crm_pb2.TenantConfig()

    async def EraseRep(self, request: s.EraseRepRequest, context: Context) -> s.EraseRepResponse:
        await self._enter("ScoringAdmin.EraseRep", request.tenant_id, context)
        return s.EraseRepResponse(activities_deleted=2, aggregates_deleted=1, scores_deleted=1)

    async def RescoreTenant(
        self, request: s.RescoreTenantRequest, context: Context
    ) -> s.RescoreTenantResponse:
        await self._enter("ScoringAdmin.RescoreTenant", request.tenant_id, context)
        return s.RescoreTenantResponse(reps_scored=3, scores_changed=1, duration_ms=5)


class FakeCapture(capture_pb2_grpc.CaptureAdminServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.connections: dict[str, dict[str, c.Connection]] = {}
        self.ever_connected: set[tuple[str, str]] = set()
        self.secrets_received: list[str] = []
        self.exclusions: dict[tuple[str, str], c.RepExclusions] = {}
        self.policies: dict[str, c.CapturePolicy] = {}

    def seed(self, tenant_id: str) -> None:
        connection_id = f"conn-{tenant_id}-1"
        self.connections.setdefault(tenant_id, {})[connection_id] = c.Connection(
            connection_id=connection_id, tenant_id=tenant_id, provider=c.CONNECTION_PROVIDER_MICROSOFT,
            directory_tenant_id=marker(tenant_id), client_id="app", has_credentials=True,
        )  # fmt: skip
        self.ever_connected.add((tenant_id, connection_id))

    async def _enter(self, method: str, tenant_id: str, context: Context) -> None:
        self.recorder.record(method, tenant_id)
        if not tenant_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "tenant_id is required")

    def _status(self, tenant_id: str, mailbox: str, rep_id: str = "rep-1") -> c.MailboxStatus:
        return c.MailboxStatus(tenant_id=tenant_id, mailbox=mailbox, rep_id=rep_id, state="syncing",
                               last_error=marker(tenant_id), items_captured=12)  # fmt: skip

    async def _register(
        self, tenant_id: str, connection_id: str, provider: int, context: Context
    ) -> c.Connection:
        conn_id = connection_id or f"conn-{tenant_id}-{len(self.connections.get(tenant_id, {})) + 1}"
        connection = c.Connection(connection_id=conn_id, tenant_id=tenant_id, provider=provider,  # type: ignore[arg-type]
                                  client_id=marker(tenant_id), has_credentials=True)  # fmt: skip
        self.connections.setdefault(tenant_id, {})[conn_id] = connection
        self.ever_connected.add((tenant_id, conn_id))
        return connection

    async def RegisterMicrosoftConnection(
        self, request: c.RegisterMicrosoftConnectionRequest, context: Context
    ) -> c.Connection:
        await self._enter("RegisterMicrosoftConnection", request.tenant_id, context)
        self.secrets_received.append(request.client_secret or request.certificate.private_key_pem)
        return await self._register(
            request.tenant_id, request.connection_id, c.CONNECTION_PROVIDER_MICROSOFT, context
        )

    async def RegisterGoogleConnection(
        self, request: c.RegisterGoogleConnectionRequest, context: Context
    ) -> c.Connection:
        await self._enter("RegisterGoogleConnection", request.tenant_id, context)
        self.secrets_received.append(request.service_account_key_json)
        return await self._register(
            request.tenant_id, request.connection_id, c.CONNECTION_PROVIDER_GOOGLE, context
        )

    async def ListConnections(
        self, request: c.ListConnectionsRequest, context: Context
    ) -> c.ListConnectionsResponse:
        await self._enter("ListConnections", request.tenant_id, context)
        return c.ListConnectionsResponse(
            connections=list(self.connections.get(request.tenant_id, {}).values())
        )

    async def DeleteConnection(
        self, request: c.DeleteConnectionRequest, context: Context
    ) -> c.DeleteConnectionResponse:
        await self._enter("DeleteConnection", request.tenant_id, context)
        if (request.tenant_id, request.connection_id) not in self.ever_connected:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such connection")
        self.connections.get(request.tenant_id, {}).pop(request.connection_id, None)
        return c.DeleteConnectionResponse()

    async def UpsertMailboxes(
        self, request: c.UpsertMailboxesRequest, context: Context
    ) -> c.UpsertMailboxesResponse:
        await self._enter("UpsertMailboxes", request.tenant_id, context)
        if (request.tenant_id, request.connection_id) not in self.ever_connected:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such connection")
        return c.UpsertMailboxesResponse(
            mailboxes=[self._status(request.tenant_id, m.address, m.rep_id) for m in request.mailboxes]
        )

    async def RemoveMailbox(
        self, request: c.RemoveMailboxRequest, context: Context
    ) -> c.RemoveMailboxResponse:
        await self._enter("RemoveMailbox", request.tenant_id, context)
        if not request.address.endswith(f"@{request.tenant_id}.example"):
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such mailbox")
        return c.RemoveMailboxResponse()

    async def GetSyncStatus(
        self, request: c.GetSyncStatusRequest, context: Context
    ) -> c.GetSyncStatusResponse:
        await self._enter("GetSyncStatus", request.tenant_id, context)
        return c.GetSyncStatusResponse(
            mailboxes=[self._status(request.tenant_id, f"ann@{request.tenant_id}.example")]
        )

    async def TriggerSync(self, request: c.TriggerSyncRequest, context: Context) -> c.TriggerSyncResponse:
        await self._enter("TriggerSync", request.tenant_id, context)
        return c.TriggerSyncResponse(
            mailboxes=[self._status(request.tenant_id, f"ann@{request.tenant_id}.example")]
        )

    async def GetCapturePolicy(self, request: c.GetCapturePolicyRequest, context: Context) -> c.CapturePolicy:
        await self._enter("GetCapturePolicy", request.tenant_id, context)
        return self.policies.get(request.tenant_id) or c.CapturePolicy(
            tenant_id=request.tenant_id, excluded_domains=[f"{marker(request.tenant_id)}.example"]
        )

    async def SetCapturePolicy(self, request: c.SetCapturePolicyRequest, context: Context) -> c.CapturePolicy:
        await self._enter("SetCapturePolicy", request.policy.tenant_id, context)
        self.policies[request.policy.tenant_id] = request.policy
        return request.policy

    async def GetRepExclusions(self, request: c.GetRepExclusionsRequest, context: Context) -> c.RepExclusions:
        await self._enter("GetRepExclusions", request.tenant_id, context)
        key = (request.tenant_id, request.rep_id)
        return self.exclusions.get(key) or c.RepExclusions(
            tenant_id=request.tenant_id,
            rep_id=request.rep_id,
            excluded_addresses=[f"{marker(request.tenant_id)}@x.example"],
        )

    async def SetRepExclusions(self, request: c.SetRepExclusionsRequest, context: Context) -> c.RepExclusions:
        await self._enter("SetRepExclusions", request.exclusions.tenant_id, context)
        self.exclusions[(request.exclusions.tenant_id, request.exclusions.rep_id)] = request.exclusions
        return request.exclusions

    async def EraseRep(self, request: c.EraseRepRequest, context: Context) -> c.EraseRepResponse:
        await self._enter("CaptureAdmin.EraseRep", request.tenant_id, context)
        return c.EraseRepResponse(mailboxes_removed=1)


@dataclass
class Upstreams:
    scoring: FakeScoring
    capture: FakeCapture
    recorder: Recorder
    server: GrpcServer

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.server.port}"


@contextlib.asynccontextmanager
async def running_upstreams(tenants: list[str], *, tls: MeshTls, port: int = 0) -> AsyncIterator[Upstreams]:
    """Fake scoring and capture on one in-process gRPC server (both targets point at it), behind
    the same mutual TLS as the real ones."""
    recorder = Recorder()
    scoring, capture = FakeScoring(recorder), FakeCapture(recorder)
    for tenant in tenants:
        capture.seed(tenant)
    server = await start_grpc_server(
        host="127.0.0.1",
        port=port,
        registrars=[
            lambda srv: scoring_pb2_grpc.add_ScoringQueryServicer_to_server(scoring, srv),
            lambda srv: scoring_pb2_grpc.add_ScoringAdminServicer_to_server(scoring, srv),
            lambda srv: capture_pb2_grpc.add_CaptureAdminServicer_to_server(capture, srv),
        ],
        service_names=[],
        tls=tls,
    )
    try:
        yield Upstreams(scoring, capture, recorder, server)
    finally:
        await server.stop(0)
