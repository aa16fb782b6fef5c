"""The write-back feed for plugins: matched activities, cursor-paginated, with acks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import JSONResponse

from services.gateway.domain.cursors import FEED_CURSOR_PATTERN
from services.gateway.domain.identifiers import SUBSCRIPTION_PATTERN
from services.gateway.http.deps import Ctx
from services.gateway.http.guard import GuardedRoute, guarded_by
from services.gateway.http.proto_json import to_json
from services.gateway.http.responses import RESPONSES
from services.gateway.http.schemas.feed import FeedAckIn, FeedAckRead, FeedPageRead
from services.gateway.operations import feed

router = APIRouter(route_class=GuardedRoute, tags=["feed"], responses=RESPONSES)


@router.get("/feed", response_model=FeedPageRead, openapi_extra=guarded_by(feed.read_page))
async def read_feed(
    ctx: Ctx,
    subscription: Annotated[str, Query(pattern=SUBSCRIPTION_PATTERN)] = "default",
    cursor: Annotated[
        str | None,
        Query(
            pattern=FEED_CURSOR_PATTERN, description="a cursor this API issued; absent: after the last ack"
        ),
    ] = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    """The next matched activities to write back, oldest first. Read on with `cursor`; ack it once
    the page is in the CRM. An empty page means caught up: poll again later."""
    page = await feed.read_page(
        ctx.gw, ctx.caller, subscription=subscription, cursor=cursor or "", page_size=page_size
    )
    return JSONResponse(
        {
            "activities": [to_json(a) for a in page.activities],
            "cursor": page.cursor,
            "acked_cursor": page.acked_cursor,
        }
    )


@router.post("/feed/ack", response_model=FeedAckRead, openapi_extra=guarded_by(feed.ack))
async def ack_feed(ctx: Ctx, body: FeedAckIn) -> FeedAckRead:
    """Store the cursor as the subscription's resume point. Acks only move forward."""
    acked = await feed.ack(ctx.gw, ctx.caller, subscription=body.subscription, cursor=body.cursor)
    return FeedAckRead(subscription=body.subscription, acked_cursor=acked)
