"""The ScoringQuery gRPC service: read-only, tenant-scoped queries over the scoring store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.db.pool import Pool
from services.scoring.adapters.activity_store import ActivityPageCursor, list_rep_activities
from services.scoring.adapters.grpc_crm_queries import CrmQueries
from services.scoring.adapters.grpc_validation import (
    Context,
    check_optional_id,
    decode_token,
    encode_token,
    invalid,
    not_found,
    page_size,
    require_ids,
)
from services.scoring.adapters.pg_settings import load_settings
from services.scoring.adapters.pg_tenant_views import field_gaps
from services.scoring.domain.paging import InvalidPageToken, decode_page_token, encode_page_token

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


class ScoringQueryServicer(CrmQueries, scoring_pb2_grpc.ScoringQueryServicer):
    """Every RPC validates its request (INVALID_ARGUMENT), filters by tenant_id first, and answers
    NOT_FOUND only where a single named thing was asked for and does not exist."""

    def __init__(self, pool: Pool, *, today: Callable[[], date]) -> None:
        self._pool = pool
        self._today = today

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
        rows = await list_rep_activities(
            self._pool, tenant_id=request.tenant_id, rep_id=request.rep_id, limit=limit + 1, after=after
        )
        response = scoring_pb2.ListActivitiesResponse()
        for row in rows[:limit]:
            stored_at = Timestamp()
            stored_at.FromDatetime(row.stored_at)
            response.activities.append(
                scoring_pb2.ActivityRecord(
                    activity=activity_pb2.Activity.FromString(row.payload), stored_at=stored_at
                )
            )
        if len(rows) > limit:
            last = rows[limit - 1]
            response.next_page_token = encode_page_token(last.occurred_at, last.id)
        return response

    async def GetRepScore(
        self, request: scoring_pb2.GetRepScoreRequest, context: Context
    ) -> scoring_pb2.RepScore:
        await require_ids(context, tenant_id=request.tenant_id, rep_id=request.rep_id)
        payload = await self._pool.fetchval(
            "SELECT payload FROM rep_scores WHERE tenant_id = $1 AND rep_id = $2",
            request.tenant_id,
            request.rep_id,
        )
        if payload is None:
            await not_found(context, f"no score for rep {request.rep_id!r} yet")
        return scoring_pb2.RepScore.FromString(payload)

    async def ListRepScores(
        self, request: scoring_pb2.ListRepScoresRequest, context: Context
    ) -> scoring_pb2.ListRepScoresResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        limit = await page_size(context, request.page_size, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
        after = await decode_token(context, request.page_token)
        if request.team_id:
            await self._known_team(context, request.tenant_id, request.team_id)
        rows = await self._pool.fetch(
            "SELECT rep_id, payload FROM rep_scores WHERE tenant_id = $1 AND ($2 = '' OR team_id = $2) "
            "AND rep_id > $3 ORDER BY rep_id LIMIT $4",
            request.tenant_id,
            request.team_id,
            after,
            limit + 1,
        )
        response = scoring_pb2.ListRepScoresResponse(
            scores=[scoring_pb2.RepScore.FromString(r["payload"]) for r in rows[:limit]]
        )
        if len(rows) > limit:
            response.next_page_token = encode_token(rows[limit - 1]["rep_id"])
        return response

    async def GetTeamHealth(
        self, request: scoring_pb2.GetTeamHealthRequest, context: Context
    ) -> scoring_pb2.TeamHealth:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        if request.team_id:
            await self._known_team(context, request.tenant_id, request.team_id)
        payload = await self._pool.fetchval(
            "SELECT payload FROM team_health_snapshots WHERE tenant_id = $1 AND team_id = $2 "
            "ORDER BY day DESC LIMIT 1",
            request.tenant_id,
            request.team_id,
        )
        if payload is None:
            await not_found(context, "team health has not been computed yet for this tenant")
        return scoring_pb2.TeamHealth.FromString(payload)

    async def ListDiagnostics(
        self, request: scoring_pb2.ListDiagnosticsRequest, context: Context
    ) -> scoring_pb2.ListDiagnosticsResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        await check_optional_id(context, "rep_id", request.rep_id)
        rows = await self._pool.fetch(
            "SELECT payload FROM diagnostics WHERE tenant_id = $1 AND ($2 = '' OR team_id = $2) "
            "AND ($3 = '' OR rep_id = $3)",
            request.tenant_id,
            request.team_id,
            request.rep_id,
        )
        found = [scoring_pb2.Diagnostic.FromString(r["payload"]) for r in rows]
        found.sort(key=lambda d: (_SEVERITY_ORDER.get(d.severity, 3), d.kind, d.team_id, d.rep_id, d.id))
        return scoring_pb2.ListDiagnosticsResponse(diagnostics=found)

    async def GetFieldFriction(
        self, request: scoring_pb2.GetFieldFrictionRequest, context: Context
    ) -> scoring_pb2.GetFieldFrictionResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        settings = await load_settings(self._pool, request.tenant_id)
        members: set[str] | None = None
        if request.team_id:
            team = settings.team(request.team_id)
            if team is None:
                await not_found(context, f"team {request.team_id!r} is not in the tenant's configuration")
            members = set(team.member_rep_ids)
        totals: dict[str, tuple[int, int]] = {}
        for rep, field, open_count, empty in await field_gaps(self._pool, settings):
            if members is None or rep in members:
                o, e = totals.get(field, (0, 0))
                totals[field] = (o + open_count, e + empty)
        fields = [
            scoring_pb2.FieldFriction(
                field=field, open_opportunities=o, empty=e, empty_share=round(e / o, 4) if o else 0.0,
                team_id=request.team_id,
            )
            for field, (o, e) in totals.items()
        ]  # fmt: skip
        fields.sort(key=lambda f: (-f.empty_share, f.field))
        return scoring_pb2.GetFieldFrictionResponse(fields=fields)

    async def _known_team(self, context: Context, tenant_id: str, team_id: str) -> None:
        settings = await load_settings(self._pool, tenant_id)
        if settings.teams and settings.team(team_id) is None:
            await not_found(context, f"team {team_id!r} is not in the tenant's configuration")
