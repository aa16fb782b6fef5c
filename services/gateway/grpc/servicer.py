"""The public gRPC service (groundtruth.gateway.v1.Groundtruth): thin wrappers over the operations.

Authentication, request parsing and error codes are the interceptor's (`grpc/auth.py`); each method
here only maps its request onto an operation and the answer back onto the contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.crm.v1 import crm_pb2
from groundtruth.gateway.v1 import gateway_pb2 as g
from groundtruth.gateway.v1 import gateway_pb2_grpc
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.domain.idempotency import fingerprint_bytes
from services.gateway.errors import InvalidRequest
from services.gateway.grpc.api_keys import ROLES, api_key
from services.gateway.grpc.auth import Context, caller
from services.gateway.operations import capture, configuration, crm_ingest, erasure, feed, keys, me, reads
from services.gateway.operations.context import Gateway


class GroundtruthServicer(gateway_pb2_grpc.GroundtruthServicer):
    def __init__(self, gateway: Gateway) -> None:
        self._gw = gateway

    # ---- plugins ----

    async def IngestCrmEvents(
        self, request: g.IngestCrmEventsRequest, context: Context
    ) -> g.IngestCrmEventsResponse:
        events = list(request.events)
        idempotency = None
        if request.idempotency_key:
            # The fingerprint covers the events only: the key itself is not part of "the same request".
            content = g.IngestCrmEventsRequest(events=events).SerializeToString(deterministic=True)
            idempotency = crm_ingest.IdempotencyKey(
                request.idempotency_key, fingerprint_bytes(content), surface="grpc"
            )
        ingested = await crm_ingest.ingest(self._gw, caller(), events, idempotency=idempotency)
        body = ingested.answer.body
        items = [
            g.IngestItemResult(index=i["index"], event_id=i["event_id"] or "", errors=i["errors"])
            for i in body["items"]
        ]
        if ingested.answer.status_code == 422:
            first = next((f"event {i.index}: {'; '.join(i.errors)}" for i in items if i.errors), "")
            raise InvalidRequest(f"no event of the batch is valid; {first}")
        return g.IngestCrmEventsResponse(
            accepted=body["accepted"], rejected=body["rejected"], items=items, replayed=ingested.replayed
        )

    async def ReadFeed(self, request: g.ReadFeedRequest, context: Context) -> g.FeedPage:
        page = await feed.read_page(
            self._gw,
            caller(),
            subscription=request.subscription,
            cursor=request.cursor,
            page_size=request.page_size,
        )
        return g.FeedPage(activities=page.activities, cursor=page.cursor, acked_cursor=page.acked_cursor)

    async def StreamFeed(self, request: g.StreamFeedRequest, context: Context) -> AsyncIterator[g.FeedPage]:
        pages = feed.stream(
            self._gw,
            caller(),
            subscription=request.subscription,
            cursor=request.cursor,
            page_size=request.page_size,
        )
        async for page in pages:
            yield g.FeedPage(activities=page.activities, cursor=page.cursor, acked_cursor=page.acked_cursor)

    async def AckFeed(self, request: g.AckFeedRequest, context: Context) -> g.AckFeedResponse:
        acked = await feed.ack(self._gw, caller(), subscription=request.subscription, cursor=request.cursor)
        return g.AckFeedResponse(acked_cursor=acked)

    # ---- reads ----

    async def ListRepActivities(
        self, request: g.ListRepActivitiesRequest, context: Context
    ) -> g.ListRepActivitiesResponse:
        response = await reads.rep_activities(
            self._gw,
            caller(),
            rep_id=request.rep_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return g.ListRepActivitiesResponse(
            activities=response.activities, next_page_token=response.next_page_token
        )

    async def GetRepScore(self, request: g.GetRepScoreRequest, context: Context) -> s.RepScore:
        return (await reads.rep_score(self._gw, caller(), rep_id=request.rep_id)).value

    async def ListRepScores(
        self, request: g.ListRepScoresRequest, context: Context
    ) -> s.ListRepScoresResponse:
        return await reads.rep_scores(
            self._gw,
            caller(),
            team_id=request.team_id,
            page_size=request.page_size,
            page_token=request.page_token,
            role=request.role,
        )

    async def GetTeamHealth(self, request: g.TeamRequest, context: Context) -> s.TeamHealth:
        return await reads.team_health(self._gw, caller(), team_id=request.team_id)

    async def GetCustomizationDebt(
        self, request: g.CustomizationDebtRequest, context: Context
    ) -> g.CustomizationDebt:
        return await reads.customization_debt(
            self._gw, caller(), team_id=request.team_id, since=request.since
        )

    async def ListNotifications(
        self, request: g.ListNotificationsRequest, context: Context
    ) -> s.ListNotificationsResponse:
        return await reads.notifications(
            self._gw, caller(), team_id=request.team_id, limit=request.limit or 50
        )

    async def ListDiagnostics(
        self, request: g.ListDiagnosticsRequest, context: Context
    ) -> s.ListDiagnosticsResponse:
        return await reads.diagnostics(self._gw, caller(), team_id=request.team_id, rep_id=request.rep_id)

    async def GetFieldFriction(self, request: g.TeamRequest, context: Context) -> s.GetFieldFrictionResponse:
        return await reads.field_friction(self._gw, caller(), team_id=request.team_id)

    async def ListForecastAccuracy(
        self, request: g.ListForecastAccuracyRequest, context: Context
    ) -> s.ListForecastAccuracyResponse:
        return await reads.forecast_accuracy(self._gw, caller(), rep_id=request.rep_id)

    async def GetReadinessReport(
        self, request: g.GetReadinessReportRequest, context: Context
    ) -> s.ReadinessReport:
        return await reads.readiness(self._gw, caller())

    async def ListOpportunities(
        self, request: g.ListOpportunitiesRequest, context: Context
    ) -> s.ListOpportunitiesResponse:
        return await reads.opportunities(
            self._gw,
            caller(),
            team_id=request.team_id,
            rep_id=request.rep_id,
            review_ready_only=request.review_ready_only,
            page_size=request.page_size,
            page_token=request.page_token,
        )

    # ---- me ----

    async def GetMyAgenda(self, request: g.GetMyAgendaRequest, context: Context) -> s.GetRepAgendaResponse:
        return await me.agenda(self._gw, caller(), date=request.date, time_zone=request.time_zone)

    async def GetMyScore(self, request: g.GetMyScoreRequest, context: Context) -> s.RepScore:
        return (await me.score(self._gw, caller())).value

    async def GetMyHelp(self, request: g.GetMyHelpRequest, context: Context) -> g.MyHelp:
        return await me.help_for_me(self._gw, caller())

    async def GetMyExclusions(self, request: g.GetMyExclusionsRequest, context: Context) -> c.RepExclusions:
        return await me.exclusions(self._gw, caller())

    async def SetMyExclusions(self, request: g.SetMyExclusionsRequest, context: Context) -> c.RepExclusions:
        return await me.set_exclusions(
            self._gw,
            caller(),
            addresses=list(request.excluded_addresses),
            domains=list(request.excluded_domains),
        )

    # ---- admin ----

    async def GetTenantConfig(
        self, request: g.GetTenantConfigRequest, context: Context
    ) -> crm_pb2.TenantConfig:
        return await configuration.get_config(self._gw, caller())

    async def SetTenantConfig(
        self, request: g.SetTenantConfigRequest, context: Context
    ) -> crm_pb2.TenantConfig:
        expected = request.expected_version if request.HasField("expected_version") else None
        return await configuration.set_config(self._gw, caller(), request.config, expected_version=expected)

    async def GetCapturePolicy(self, request: g.GetCapturePolicyRequest, context: Context) -> c.CapturePolicy:
        return await capture.get_capture_policy(self._gw, caller())

    async def SetCapturePolicy(self, request: g.SetCapturePolicyRequest, context: Context) -> c.CapturePolicy:
        policy = request.policy
        if policy.capture_level not in (
            c.CAPTURE_LEVEL_UNSPECIFIED,
            c.CAPTURE_LEVEL_METADATA,
            c.CAPTURE_LEVEL_SUBJECT,
        ):
            raise InvalidRequest("policy.capture_level must be metadata or subject")
        return await capture.set_capture_policy(
            self._gw,
            caller(),
            capture_level=policy.capture_level or c.CAPTURE_LEVEL_METADATA,
            internal_domains=list(policy.internal_domains),
            excluded_addresses=list(policy.excluded_addresses),
            excluded_domains=list(policy.excluded_domains),
        )

    async def ListConnections(
        self, request: g.ListConnectionsRequest, context: Context
    ) -> c.ListConnectionsResponse:
        return await capture.list_connections(self._gw, caller())

    async def RegisterMicrosoftConnection(
        self, request: g.RegisterMicrosoftConnectionRequest, context: Context
    ) -> c.Connection:
        return await capture.register_microsoft(self._gw, caller(), request.connection)

    async def RegisterGoogleConnection(
        self, request: g.RegisterGoogleConnectionRequest, context: Context
    ) -> c.Connection:
        return await capture.register_google(
            self._gw,
            caller(),
            connection_id=request.connection_id,
            service_account_key_json=request.service_account_key_json,
            workspace_domain=request.workspace_domain,
        )

    async def DeleteConnection(self, request: g.DeleteConnectionRequest, context: Context) -> g.Empty:
        await capture.delete_connection(self._gw, caller(), connection_id=request.connection_id)
        return g.Empty()

    async def UpsertMailboxes(
        self, request: g.UpsertMailboxesRequest, context: Context
    ) -> c.UpsertMailboxesResponse:
        return await capture.upsert_mailboxes(
            self._gw,
            caller(),
            connection_id=request.connection_id,
            mailboxes=[(m.address, m.rep_id) for m in request.mailboxes],
        )

    async def RemoveMailbox(self, request: g.RemoveMailboxRequest, context: Context) -> g.Empty:
        await capture.remove_mailbox(self._gw, caller(), address=request.address)
        return g.Empty()

    async def GetSyncStatus(
        self, request: g.GetSyncStatusRequest, context: Context
    ) -> c.GetSyncStatusResponse:
        return await capture.sync_status(self._gw, caller(), mailbox=request.mailbox)

    async def TriggerSync(self, request: g.TriggerSyncRequest, context: Context) -> c.TriggerSyncResponse:
        return await capture.trigger_sync(
            self._gw, caller(), mailbox=request.mailbox, full_resync=request.full_resync
        )

    async def EraseRep(self, request: g.EraseRepRequest, context: Context) -> g.EraseRepResponse:
        erased = await erasure.erase_rep(self._gw, caller(), rep_id=request.rep_id)
        return g.EraseRepResponse(
            rep_id=erased.rep_id,
            capture=erased.capture,
            scoring=erased.scoring,
            revoked_key_ids=erased.revoked_key_ids,
        )

    async def ListApiKeys(self, request: g.ListApiKeysRequest, context: Context) -> g.ListApiKeysResponse:
        return g.ListApiKeysResponse(keys=[api_key(k) for k in await keys.list_keys(self._gw, caller())])

    async def CreateApiKey(self, request: g.CreateApiKeyRequest, context: Context) -> g.CreateApiKeyResponse:
        role = ROLES.get(request.role)
        if role is None:
            raise InvalidRequest("role must be admin, manager, rep or plugin")
        created = await keys.create_key(
            self._gw, caller(), name=request.name, role=role, rep_id=request.rep_id or None
        )
        return g.CreateApiKeyResponse(key=api_key(created.record), secret=created.plaintext)

    async def RevokeApiKey(self, request: g.RevokeApiKeyRequest, context: Context) -> g.ApiKey:
        return api_key(await keys.revoke_key(self._gw, caller(), key_id=request.key_id))
