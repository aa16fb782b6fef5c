"""Tenant administration: configuration, capture policy, connections, mailboxes, sync, erasure."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import JSONResponse, Response

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain.identifiers import (
    CONNECTION_ID_PATTERN,
    EMAIL_PATTERN,
    MAX_EMAIL_CHARS,
    REP_ID_PATTERN,
)
from services.gateway.http.deps import Ctx
from services.gateway.http.guard import GuardedRoute, guarded_by
from services.gateway.http.proto_json import model_for
from services.gateway.http.responses import RESPONSES, proto_response
from services.gateway.http.schemas.admin import (
    CAPTURE_LEVELS,
    CaptureErasureRead,
    CapturePolicyIn,
    ErasureRead,
    GoogleConnectionIn,
    MailboxesIn,
    MicrosoftConnectionIn,
    ScoringErasureRead,
    SyncIn,
    TenantConfigIn,
)
from services.gateway.operations import capture, configuration, erasure

router = APIRouter(route_class=GuardedRoute, prefix="/admin", tags=["admin"], responses=RESPONSES)
ConnectionId = Annotated[str, Path(pattern=CONNECTION_ID_PATTERN)]
Mailbox = Annotated[
    str, Path(max_length=MAX_EMAIL_CHARS, pattern=EMAIL_PATTERN, examples=["ann@acme.example"])
]


@router.get(
    "/config",
    response_model=model_for(crm_pb2.TenantConfig.DESCRIPTOR),
    openapi_extra=guarded_by(configuration.get_config),
)
async def get_tenant_config(ctx: Ctx) -> JSONResponse:
    """The current configuration (version 0 until the first update)."""
    return proto_response(await configuration.get_config(ctx.gw, ctx.caller))


@router.put(
    "/config",
    response_model=model_for(crm_pb2.TenantConfig.DESCRIPTOR),
    openapi_extra=guarded_by(configuration.set_config),
)
async def set_tenant_config(ctx: Ctx, body: TenantConfigIn) -> JSONResponse:
    """Replace the configuration: validated, stored as a new version and published to scoring."""
    stored = await configuration.set_config(
        ctx.gw, ctx.caller, body.to_proto(), expected_version=body.expected_version
    )
    return proto_response(stored)


@router.get(
    "/capture-policy",
    response_model=model_for(c.CapturePolicy.DESCRIPTOR),
    openapi_extra=guarded_by(capture.get_capture_policy),
)
async def get_capture_policy(ctx: Ctx) -> JSONResponse:
    return proto_response(await capture.get_capture_policy(ctx.gw, ctx.caller))


@router.put(
    "/capture-policy",
    response_model=model_for(c.CapturePolicy.DESCRIPTOR),
    openapi_extra=guarded_by(capture.set_capture_policy),
)
async def set_capture_policy(ctx: Ctx, body: CapturePolicyIn) -> JSONResponse:
    """Capture level (metadata, or metadata plus subjects) and exclusions, applied before Kafka."""
    policy = await capture.set_capture_policy(
        ctx.gw,
        ctx.caller,
        capture_level=CAPTURE_LEVELS[body.capture_level],
        internal_domains=body.internal_domains,
        excluded_addresses=body.excluded_addresses,
        excluded_domains=body.excluded_domains,
    )
    return proto_response(policy)


@router.get(
    "/connections",
    response_model=model_for(c.ListConnectionsResponse.DESCRIPTOR),
    openapi_extra=guarded_by(capture.list_connections),
)
async def list_connections(ctx: Ctx) -> JSONResponse:
    """Provider connections; credentials are never returned."""
    return proto_response(await capture.list_connections(ctx.gw, ctx.caller))


@router.post(
    "/connections/microsoft",
    status_code=201,
    response_model=model_for(c.Connection.DESCRIPTOR),
    openapi_extra=guarded_by(capture.register_microsoft),
)
async def register_microsoft_connection(ctx: Ctx, body: MicrosoftConnectionIn) -> JSONResponse:
    """Register a Microsoft 365 app (client secret or certificate); the credential is never echoed."""
    return proto_response(
        await capture.register_microsoft(ctx.gw, ctx.caller, body.to_proto()), status_code=201
    )


@router.post(
    "/connections/google",
    status_code=201,
    response_model=model_for(c.Connection.DESCRIPTOR),
    openapi_extra=guarded_by(capture.register_google),
)
async def register_google_connection(ctx: Ctx, body: GoogleConnectionIn) -> JSONResponse:
    """Register a Google Workspace service account; the key is never echoed."""
    connection = await capture.register_google(
        ctx.gw,
        ctx.caller,
        connection_id=body.connection_id or "",
        service_account_key_json=json.dumps(body.service_account_key.model_dump()),
        workspace_domain=body.workspace_domain,
    )
    return proto_response(connection, status_code=201)


@router.delete(
    "/connections/{connection_id}",
    status_code=204,
    response_class=Response,
    openapi_extra=guarded_by(capture.delete_connection),
)
async def delete_connection(ctx: Ctx, connection_id: ConnectionId) -> Response:
    await capture.delete_connection(ctx.gw, ctx.caller, connection_id=connection_id)
    return Response(status_code=204)


@router.put(
    "/connections/{connection_id}/mailboxes",
    response_model=model_for(c.UpsertMailboxesResponse.DESCRIPTOR),
    openapi_extra=guarded_by(capture.upsert_mailboxes),
)
async def upsert_mailboxes(ctx: Ctx, connection_id: ConnectionId, body: MailboxesIn) -> JSONResponse:
    """Assign mailboxes of the connection to reps; capture backfills and then follows them."""
    response = await capture.upsert_mailboxes(
        ctx.gw,
        ctx.caller,
        connection_id=connection_id,
        mailboxes=[(m.address, m.rep_id) for m in body.mailboxes],
    )
    return proto_response(response)


@router.delete(
    "/mailboxes/{address}",
    status_code=204,
    response_class=Response,
    openapi_extra=guarded_by(capture.remove_mailbox),
)
async def remove_mailbox(ctx: Ctx, address: Mailbox) -> Response:
    await capture.remove_mailbox(ctx.gw, ctx.caller, address=address)
    return Response(status_code=204)


@router.get(
    "/sync-status",
    response_model=model_for(c.GetSyncStatusResponse.DESCRIPTOR),
    openapi_extra=guarded_by(capture.sync_status),
)
async def get_sync_status(
    ctx: Ctx, mailbox: Annotated[str | None, Query(max_length=MAX_EMAIL_CHARS, pattern=EMAIL_PATTERN)] = None
) -> JSONResponse:
    """Per mailbox: state, last success, last error, lag, items captured."""
    return proto_response(await capture.sync_status(ctx.gw, ctx.caller, mailbox=mailbox or ""))


@router.post(
    "/sync",
    response_model=model_for(c.TriggerSyncResponse.DESCRIPTOR),
    openapi_extra=guarded_by(capture.trigger_sync),
)
async def trigger_sync(ctx: Ctx, body: SyncIn) -> JSONResponse:
    """Sync now (one mailbox or all); `full_resync` backfills again, which is harmless."""
    return proto_response(
        await capture.trigger_sync(
            ctx.gw, ctx.caller, mailbox=body.mailbox or "", full_resync=body.full_resync
        )
    )


@router.post(
    "/reps/{rep_id}/erasure", response_model=ErasureRead, openapi_extra=guarded_by(erasure.erase_rep)
)
async def erase_rep(ctx: Ctx, rep_id: Annotated[str, Path(pattern=REP_ID_PATTERN)]) -> ErasureRead:
    """Erase a rep everywhere (capture, scoring with tombstones, their keys). Safe to repeat."""
    erased = await erasure.erase_rep(ctx.gw, ctx.caller, rep_id=rep_id)
    return ErasureRead(
        rep_id=erased.rep_id,
        capture=CaptureErasureRead(mailboxes_removed=erased.capture.mailboxes_removed),
        scoring=ScoringErasureRead(
            activities_deleted=erased.scoring.activities_deleted,
            aggregates_deleted=erased.scoring.aggregates_deleted,
            scores_deleted=erased.scoring.scores_deleted,
        ),
        revoked_key_ids=erased.revoked_key_ids,
    )
