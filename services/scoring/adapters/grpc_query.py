"""The ScoringQuery gRPC service: validates each request, asks an operation, translates the answer.

Bad input is INVALID_ARGUMENT (checked here, before any read); NOT_FOUND only where a single named
thing was asked for and does not exist (the operation says so).
"""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.scoring.adapters.grpc_crm_queries import CrmQueryRpcs
from services.scoring.adapters.grpc_validation import (
    Context,
    answer,
    check_optional_id,
    check_optional_role,
    decode_token,
    invalid,
    iso_date,
    next_page_token,
    page_size,
    require_ids,
)
from services.scoring.adapters.proto_mapping import field_friction_proto
from services.scoring.domain.paging import InvalidPageToken, decode_page_token, encode_page_token
from services.scoring.operations.queries import ScoringQueries
from services.scoring.operations.reports import CrmReports
from services.scoring.ports import ActivityPageCursor
from services.scoring.ports.notifications import NotificationStore

MAX_NOTIFICATIONS = 500

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class ScoringQueryServicer(CrmQueryRpcs, scoring_pb2_grpc.ScoringQueryServicer):
    """Read-only and tenant-scoped; the RPCs over the CRM mirror are in `CrmQueryRpcs`."""

    def __init__(
        self, queries: ScoringQueries, reports: CrmReports, notifications: NotificationStore | None = None
    ) -> None:
        self._notifications = notifications
        self._queries = queries
        self._reports = reports

    async def ListActivities(
        self, request: scoring_pb2.ListActivitiesRequest, context: Context
    ) -> scoring_pb2.ListActivitiesResponse:
        await require_ids(context, tenant_id=request.tenant_id, rep_id=request.rep_id)
        limit = await page_size(context, request.page_size, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
        after = None
        if request.page_token:
            try:
                after = ActivityPageCursor(*decode_page_token(request.page_token))
            except InvalidPageToken as exc:
                await invalid(context, str(exc))
        page = await self._queries.activities(
            tenant_id=request.tenant_id, rep_id=request.rep_id, limit=limit, after=after
        )
        response = scoring_pb2.ListActivitiesResponse()
        for row in page.items:
            stored_at = Timestamp()
            stored_at.FromDatetime(row.stored_at)
            response.activities.append(
                scoring_pb2.ActivityRecord(
                    activity=activity_pb2.Activity.FromString(row.payload), stored_at=stored_at
                )
            )
        if page.more:
            last = page.items[-1]
            response.next_page_token = encode_page_token(last.occurred_at, last.id)
        return response

    async def GetRepScore(
        self, request: scoring_pb2.GetRepScoreRequest, context: Context
    ) -> scoring_pb2.RepScore:
        await require_ids(context, tenant_id=request.tenant_id, rep_id=request.rep_id)
        return await answer(context, self._queries.rep_score(request.tenant_id, request.rep_id))

    async def ListRepScores(
        self, request: scoring_pb2.ListRepScoresRequest, context: Context
    ) -> scoring_pb2.ListRepScoresResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        await check_optional_role(context, request.role)
        limit = await page_size(context, request.page_size, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
        after = await decode_token(context, request.page_token)
        page = await answer(
            context,
            self._queries.rep_scores(
                tenant_id=request.tenant_id,
                team_id=request.team_id,
                after_rep_id=after,
                limit=limit,
                role=request.role,
            ),
        )
        return scoring_pb2.ListRepScoresResponse(
            scores=page.items, next_page_token=next_page_token(page, lambda score: score.rep_id)
        )

    async def ListNotifications(
        self, request: scoring_pb2.ListNotificationsRequest, context: Context
    ) -> scoring_pb2.ListNotificationsResponse:
        """The tenant's digests and alerts, newest first, with how many deliveries are pending, done
        and given up."""
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        if not 0 <= request.limit <= MAX_NOTIFICATIONS:
            await invalid(context, f"limit must be 0..{MAX_NOTIFICATIONS}")
        if self._notifications is None:
            return scoring_pb2.ListNotificationsResponse()
        found = await self._notifications.listed(request.tenant_id, request.team_id, request.limit or 50)
        return scoring_pb2.ListNotificationsResponse(notifications=found)

    async def GetTeamHealth(
        self, request: scoring_pb2.GetTeamHealthRequest, context: Context
    ) -> scoring_pb2.TeamHealth:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        as_of = await iso_date(context, "as_of", request.as_of)
        return await answer(context, self._queries.team_health(request.tenant_id, request.team_id, as_of))

    async def ListDiagnostics(
        self, request: scoring_pb2.ListDiagnosticsRequest, context: Context
    ) -> scoring_pb2.ListDiagnosticsResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        await check_optional_id(context, "rep_id", request.rep_id)
        found = await self._queries.diagnostics(
            tenant_id=request.tenant_id, team_id=request.team_id, rep_id=request.rep_id
        )
        return scoring_pb2.ListDiagnosticsResponse(diagnostics=found)

    async def GetFieldFriction(
        self, request: scoring_pb2.GetFieldFrictionRequest, context: Context
    ) -> scoring_pb2.GetFieldFrictionResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        friction = await answer(context, self._queries.field_friction(request.tenant_id, request.team_id))
        return scoring_pb2.GetFieldFrictionResponse(fields=[field_friction_proto(f) for f in friction])
