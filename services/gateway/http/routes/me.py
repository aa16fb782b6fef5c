"""The mobile client: the rep behind a rep or manager key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse, Response

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.gateway.v1 import gateway_pb2 as g
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.http.deps import Ctx
from services.gateway.http.guard import GuardedRoute, guarded_by
from services.gateway.http.proto_json import model_for
from services.gateway.http.responses import RESPONSES, cached_response, proto_response
from services.gateway.http.schemas.me import ExclusionsIn
from services.gateway.http.schemas.types import IsoDateText
from services.gateway.operations import me

router = APIRouter(route_class=GuardedRoute, prefix="/me", tags=["me"], responses=RESPONSES)


@router.get(
    "/agenda",
    response_model=model_for(s.GetRepAgendaResponse.DESCRIPTOR),
    openapi_extra=guarded_by(me.agenda),
)
async def my_agenda(
    ctx: Ctx,
    day: Annotated[IsoDateText | None, Query(alias="date", examples=["2026-11-02"])] = None,
    time_zone: Annotated[
        str | None,
        Query(
            max_length=64,
            description="IANA zone the day is taken in; absent: UTC",
            examples=["Europe/Berlin"],
        ),
    ] = None,
) -> JSONResponse:
    """Meetings of the day (default today) in the caller's time zone, with the account, open
    opportunity and last interactions for each. Times stay UTC instants; the zone picks the day."""
    return proto_response(await me.agenda(ctx.gw, ctx.caller, date=day or "", time_zone=time_zone or ""))


@router.get("/score", response_model=model_for(s.RepScore.DESCRIPTOR), openapi_extra=guarded_by(me.score))
async def my_score(ctx: Ctx) -> Response:
    """Your own scores and exactly what they are based on."""
    return cached_response(await me.score(ctx.gw, ctx.caller))


@router.get("/help", response_model=model_for(g.MyHelp.DESCRIPTOR), openapi_extra=guarded_by(me.help_for_me))
async def my_help(ctx: Ctx) -> JSONResponse:
    """What would help you use the CRM with less effort, in plain words, and until when it applies."""
    return proto_response(await me.help_for_me(ctx.gw, ctx.caller))


@router.get(
    "/exclusions",
    response_model=model_for(c.RepExclusions.DESCRIPTOR),
    openapi_extra=guarded_by(me.exclusions),
)
async def my_exclusions(ctx: Ctx) -> JSONResponse:
    """People and domains you never want captured."""
    return proto_response(await me.exclusions(ctx.gw, ctx.caller))


@router.put(
    "/exclusions",
    response_model=model_for(c.RepExclusions.DESCRIPTOR),
    openapi_extra=guarded_by(me.set_exclusions),
)
async def set_my_exclusions(ctx: Ctx, body: ExclusionsIn) -> JSONResponse:
    """Replace your exclusion list; capture applies it before anything leaves your mailbox."""
    result = await me.set_exclusions(
        ctx.gw, ctx.caller, addresses=body.excluded_addresses, domains=body.excluded_domains
    )
    return proto_response(result)
