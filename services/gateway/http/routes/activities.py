"""Captured activities of a rep."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.gateway.domain.cursors import PAGE_TOKEN_PATTERN
from services.gateway.domain.identifiers import REP_ID_PATTERN
from services.gateway.http.deps import Ctx
from services.gateway.http.guard import GuardedRoute, guarded_by
from services.gateway.http.responses import RESPONSES
from services.gateway.http.schemas.activities import ActivityPage, ActivityRead
from services.gateway.operations import reads

router = APIRouter(route_class=GuardedRoute, tags=["activities"], responses=RESPONSES)


@router.get(
    "/reps/{rep_id}/activities", response_model=ActivityPage, openapi_extra=guarded_by(reads.rep_activities)
)
async def list_rep_activities(
    ctx: Ctx,
    rep_id: Annotated[str, Path(pattern=REP_ID_PATTERN, examples=["rep-1"])],
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: Annotated[
        str | None, Query(pattern=PAGE_TOKEN_PATTERN, description="the next_page_token of the previous page")
    ] = None,
) -> ActivityPage:
    """The rep's captured e-mails and meetings, newest first (admins, the rep, their manager)."""
    response = await reads.rep_activities(
        ctx.gw, ctx.caller, rep_id=rep_id, page_size=page_size, page_token=page_token or ""
    )
    return ActivityPage(
        items=[ActivityRead.from_record(r) for r in response.activities],
        next_page_token=response.next_page_token or None,
    )
