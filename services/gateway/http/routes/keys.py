"""API key management for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.gateway.domain.api_keys import KEY_ID_PATTERN
from services.gateway.domain.principal import Role
from services.gateway.http.deps import Ctx
from services.gateway.http.guard import GuardedRoute, guarded_by
from services.gateway.http.responses import RESPONSES
from services.gateway.http.schemas.keys import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyRead
from services.gateway.operations import keys

router = APIRouter(route_class=GuardedRoute, prefix="/admin/api-keys", tags=["admin"], responses=RESPONSES)


@router.get("", response_model=ApiKeyList, openapi_extra=guarded_by(keys.list_keys))
async def list_api_keys(ctx: Ctx) -> ApiKeyList:
    """Every key of the tenant, revoked ones included; never the secrets."""
    return ApiKeyList(keys=[ApiKeyRead.of(k) for k in await keys.list_keys(ctx.gw, ctx.caller)])


@router.post("", status_code=201, response_model=ApiKeyCreated, openapi_extra=guarded_by(keys.create_key))
async def create_api_key(ctx: Ctx, body: ApiKeyCreate) -> ApiKeyCreated:
    """Issue a key. The secret is in this answer only: it is stored hashed and cannot be shown again."""
    created = await keys.create_key(
        ctx.gw, ctx.caller, name=body.name, role=Role(body.role), rep_id=body.rep_id
    )
    return ApiKeyCreated(key=ApiKeyRead.of(created.record), secret=created.plaintext)


@router.delete("/{key_id}", response_model=ApiKeyRead, openapi_extra=guarded_by(keys.revoke_key))
async def revoke_api_key(ctx: Ctx, key_id: Annotated[str, Path(pattern=KEY_ID_PATTERN)]) -> ApiKeyRead:
    """Revoke a key (idempotent). It stops working at once here and within seconds everywhere."""
    return ApiKeyRead.of(await keys.revoke_key(ctx.gw, ctx.caller, key_id=key_id))
