"""Scores and diagnostics: per rep, per team, per tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import JSONResponse, Response

from groundtruth.gateway.v1 import gateway_pb2 as g
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.domain.cursors import PAGE_TOKEN_PATTERN
from services.gateway.domain.identifiers import REP_ID_PATTERN, ROLE_PATTERN, TEAM_ID_PATTERN
from services.gateway.http.deps import Ctx
from services.gateway.http.guard import GuardedRoute, guarded_by
from services.gateway.http.proto_json import model_for
from services.gateway.http.responses import RESPONSES, cached_response, proto_response
from services.gateway.http.schemas.types import IsoDateText
from services.gateway.operations import reads

router = APIRouter(route_class=GuardedRoute, tags=["scores"], responses=RESPONSES)
TeamId = Annotated[
    str | None, Query(pattern=TEAM_ID_PATTERN, description="absent: the whole tenant", examples=["team-east"])
]
RepFilter = Annotated[str | None, Query(pattern=REP_ID_PATTERN, examples=["rep-1"])]
RepPath = Annotated[str, Path(pattern=REP_ID_PATTERN, examples=["rep-1"])]
PageSize = Annotated[int, Query(ge=1, le=500)]
RoleFilter = Annotated[
    str | None,
    Query(pattern=ROLE_PATTERN, description="only people of this role (absent: everyone)", examples=["sdr"]),
]
PageToken = Annotated[
    str | None, Query(pattern=PAGE_TOKEN_PATTERN, description="the next_page_token of the previous page")
]


@router.get(
    "/reps/{rep_id}/score",
    response_model=model_for(s.RepScore.DESCRIPTOR),
    openapi_extra=guarded_by(reads.rep_score),
)
async def get_rep_score(ctx: Ctx, rep_id: RepPath) -> Response:
    """The rep's adoption and data-quality scores with every input behind them, and the trend."""
    return cached_response(await reads.rep_score(ctx.gw, ctx.caller, rep_id=rep_id))


@router.get(
    "/scores",
    response_model=model_for(s.ListRepScoresResponse.DESCRIPTOR),
    openapi_extra=guarded_by(reads.rep_scores),
)
async def list_rep_scores(
    ctx: Ctx,
    team_id: TeamId = None,
    role: RoleFilter = None,
    page_size: PageSize = 50,
    page_token: PageToken = None,
) -> JSONResponse:
    """Scores of every rep of a team (managers: a team they manage) or of the tenant, of one role."""
    response = await reads.rep_scores(
        ctx.gw,
        ctx.caller,
        team_id=team_id or "",
        page_size=page_size,
        page_token=page_token or "",
        role=role or "",
    )
    return proto_response(response)


@router.get(
    "/team-health",
    response_model=model_for(s.TeamHealth.DESCRIPTOR),
    openapi_extra=guarded_by(reads.team_health),
)
async def get_team_health(ctx: Ctx, team_id: TeamId = None) -> JSONResponse:
    """Weekly active users, completeness, stale pipeline against targets, and at 30/60/90 days."""
    return proto_response(await reads.team_health(ctx.gw, ctx.caller, team_id=team_id or ""))


@router.get(
    "/customization-debt",
    response_model=model_for(g.CustomizationDebt.DESCRIPTOR),
    openapi_extra=guarded_by(reads.customization_debt),
)
async def get_customization_debt(
    ctx: Ctx,
    team_id: TeamId = None,
    since: Annotated[
        IsoDateText | None,
        Query(description="compare with the configuration in force on this day (absent: go-live)"),
    ] = None,
) -> JSONResponse:
    """Required fields and stages added or changed since go-live, when and in which version, and
    their effect on completion (before the change vs now)."""
    debt = await reads.customization_debt(ctx.gw, ctx.caller, team_id=team_id or "", since=since or "")
    return proto_response(debt)


@router.get(
    "/notifications",
    response_model=model_for(s.ListNotificationsResponse.DESCRIPTOR),
    openapi_extra=guarded_by(reads.notifications),
)
async def list_notifications(
    ctx: Ctx, team_id: TeamId = None, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> JSONResponse:
    """Weekly data-quality digests and threshold alerts, newest first, with their deliveries."""
    return proto_response(await reads.notifications(ctx.gw, ctx.caller, team_id=team_id or "", limit=limit))


@router.get(
    "/diagnostics",
    response_model=model_for(s.ListDiagnosticsResponse.DESCRIPTOR),
    openapi_extra=guarded_by(reads.diagnostics),
)
async def list_diagnostics(ctx: Ctx, team_id: TeamId = None, rep_id: RepFilter = None) -> JSONResponse:
    """Likely root causes with their evidence and what to change."""
    return proto_response(
        await reads.diagnostics(ctx.gw, ctx.caller, team_id=team_id or "", rep_id=rep_id or "")
    )


@router.get(
    "/field-friction",
    response_model=model_for(s.GetFieldFrictionResponse.DESCRIPTOR),
    openapi_extra=guarded_by(reads.field_friction),
)
async def get_field_friction(ctx: Ctx, team_id: TeamId = None) -> JSONResponse:
    """Required fields left empty on open opportunities, worst first."""
    return proto_response(await reads.field_friction(ctx.gw, ctx.caller, team_id=team_id or ""))


@router.get(
    "/forecast-accuracy",
    response_model=model_for(s.ListForecastAccuracyResponse.DESCRIPTOR),
    openapi_extra=guarded_by(reads.forecast_accuracy),
)
async def list_forecast_accuracy(ctx: Ctx, rep_id: RepFilter = None) -> JSONResponse:
    """Committed forecast against closed-won per period (reps: their own; managers: their teams)."""
    return proto_response(await reads.forecast_accuracy(ctx.gw, ctx.caller, rep_id=rep_id or ""))


@router.get(
    "/readiness",
    response_model=model_for(s.ReadinessReport.DESCRIPTOR),
    openapi_extra=guarded_by(reads.readiness),
)
async def get_readiness_report(ctx: Ctx) -> JSONResponse:
    """Go-live readiness of the tenant's CRM data: duplicates, completeness, stale deals."""
    return proto_response(await reads.readiness(ctx.gw, ctx.caller))


@router.get(
    "/opportunities",
    response_model=model_for(s.ListOpportunitiesResponse.DESCRIPTOR),
    openapi_extra=guarded_by(reads.opportunities),
)
async def list_opportunities(
    ctx: Ctx,
    team_id: TeamId = None,
    rep_id: RepFilter = None,
    review_ready: Annotated[
        bool,
        Query(description="only deals with a current next step, a future close date and activity in 7 days"),
    ] = False,
    page_size: PageSize = 50,
    page_token: PageToken = None,
) -> JSONResponse:
    """Open opportunities (reps: their own; managers: their teams)."""
    response = await reads.opportunities(
        ctx.gw,
        ctx.caller,
        team_id=team_id or "",
        rep_id=rep_id or "",
        review_ready_only=review_ready,
        page_size=page_size,
        page_token=page_token or "",
    )
    return proto_response(response)
