"""Sign-in: a short-lived token for an API key, and who the presented credential acts for."""

from __future__ import annotations

from fastapi import APIRouter

from services.gateway.http.deps import Ctx
from services.gateway.http.guard import GuardedRoute, guarded_by
from services.gateway.http.responses import RESPONSES
from services.gateway.http.schemas.auth import SessionRead, TeamRead, TokenRead
from services.gateway.operations import auth

router = APIRouter(route_class=GuardedRoute, prefix="/auth", tags=["auth"], responses=RESPONSES)


@router.post("/token", response_model=TokenRead, openapi_extra=guarded_by(auth.exchange_key))
async def issue_token(ctx: Ctx) -> TokenRead:
    """Exchange the API key in `Authorization` for a signed token carrying the same role and rep,
    valid for minutes (`GT_GATEWAY_TOKEN_TTL_SEC`). It ends early when the key is revoked. A token
    cannot be exchanged for another one."""
    issued = await auth.exchange_key(ctx.gw, ctx.caller)
    remaining = int((issued.expires_at - ctx.gw.clock()).total_seconds())
    return TokenRead(access_token=issued.token, expires_at=issued.expires_at, expires_in=max(remaining, 0))


@router.get("/session", response_model=SessionRead, openapi_extra=guarded_by(auth.session))
async def read_session(ctx: Ctx) -> SessionRead:
    """Who the presented key or token acts for, and which teams' dashboards it may open."""
    current = await auth.session(ctx.gw, ctx.caller)
    p = current.principal
    return SessionRead(
        tenant_id=p.tenant_id,
        key_id=p.key_id,
        role=p.role.value,
        rep_id=p.rep_id,
        via_token=p.via_token,
        teams=[TeamRead(team_id=t.team_id, name=t.name) for t in current.teams],
    )
