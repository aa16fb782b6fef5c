"""CRM ingest for plugins (the use case is `operations/crm_ingest.py`, the items `schemas/crm.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from starlette.responses import JSONResponse

from services.gateway.domain.idempotency import IDEMPOTENCY_KEY_PATTERN, fingerprint_json
from services.gateway.http.deps import Ctx
from services.gateway.http.guard import GuardedRoute, guarded_by
from services.gateway.http.problems import problem
from services.gateway.http.responses import RESPONSES
from services.gateway.http.schemas.crm import CrmEventBatchIn, IngestRead, parse_item
from services.gateway.operations import crm_ingest

router = APIRouter(route_class=GuardedRoute, tags=["crm"], responses=RESPONSES)
REPLAYED_HEADER = "Idempotent-Replayed"


@router.post(
    "/crm/events",
    status_code=202,
    response_model=IngestRead,
    openapi_extra=guarded_by(crm_ingest.ingest),
)
async def ingest_crm_events(
    ctx: Ctx,
    batch: CrmEventBatchIn,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="same key and same body: the first answer again, nothing published twice",
        ),
    ] = None,
) -> JSONResponse:
    """Validate each event, publish the valid ones to gt.crm.events.v1 and answer once the broker
    has them: 202 with per-item results, or 422 when no event of the batch is valid."""
    raw_events = list(batch.events)
    idempotency = (
        crm_ingest.IdempotencyKey(idempotency_key, fingerprint_json(raw_events), surface="rest")
        if idempotency_key is not None
        else None
    )
    # Items are parsed lazily: only when the batch is processed, never for a refusal or a replay.
    ingested = await crm_ingest.ingest(
        ctx.gw, ctx.caller, (parse_item(raw) for raw in raw_events), idempotency=idempotency
    )
    answer = ingested.answer
    headers = {REPLAYED_HEADER: "true"} if ingested.replayed else None
    if answer.status_code == 422:
        return problem(
            422,
            "no event of the batch is valid; see items for each one's errors",
            headers=headers,
            **answer.body,
        )
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)
