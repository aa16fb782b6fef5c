"""The mobile client: the rep behind a rep or manager key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.deps import Caller, GatewayDep
from services.gateway.identifiers import ISO_DATE_PATTERN
from services.gateway.operations import me
from services.gateway.proto_json import model_for
from services.gateway.routes import RESPONSES, proto_response
from services.gateway.schemas_admin import ExclusionsIn

router = APIRouter(prefix="/me", tags=["me"], responses=RESPONSES)


@router.get("/agenda", response_model=model_for(s.GetRepAgendaResponse.DESCRIPTOR))
async def my_agenda(
    gw: GatewayDep,
    caller: Caller,
    day: Annotated[str | None, Query(alias="date", pattern=ISO_DATE_PATTERN, examples=["2026-11-02"])] = None,
) -> JSONResponse:
    """Meetings of the day (default today, UTC) with the account, open opportunity and last
    interactions for each."""
    return proto_response(await me.agenda(gw, caller, date=day or ""))


@router.get("/score", response_model=model_for(s.RepScore.DESCRIPTOR))
async def my_score(gw: GatewayDep, caller: Caller) -> JSONResponse:
    """Your own scores and exactly what they are based on."""
    return proto_response(await me.score(gw, caller))


@router.get("/exclusions", response_model=model_for(c.RepExclusions.DESCRIPTOR))
async def my_exclusions(gw: GatewayDep, caller: Caller) -> JSONResponse:
    """People and domains you never want captured."""
    return proto_response(await me.exclusions(gw, caller))


@router.put("/exclusions", response_model=model_for(c.RepExclusions.DESCRIPTOR))
async def set_my_exclusions(gw: GatewayDep, caller: Caller, body: ExclusionsIn) -> JSONResponse:
    """Replace your exclusion list; capture applies it before anything leaves your mailbox."""
    result = await me.set_exclusions(
        gw, caller, addresses=body.excluded_addresses, domains=body.excluded_domains
    )
    return proto_response(result)
