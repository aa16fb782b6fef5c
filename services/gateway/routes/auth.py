"""Sign-in: a short-lived token for an API key, and who the presented credential acts for."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.gateway.deps import Ctx
from services.gateway.operations import auth
from services.gateway.routes import RESPONSES

router = APIRouter(prefix="/auth", tags=["auth"], responses=RESPONSES)


class TokenRead(BaseModel):
    access_token: str = Field(description="send as `Authorization: Bearer <access_token>`")
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    expires_in: int = Field(description="seconds until the token stops working")


class TeamRead(BaseModel):
    team_id: str
    name: str


class SessionRead(BaseModel):
    tenant_id: str
    key_id: str
    role: str = Field(description="admin, manager, rep or plugin")
    rep_id: str | None = Field(description="the rep a rep or manager key acts for")
    via_token: bool = Field(description="true when a short-lived token was presented")
    teams: list[TeamRead] = Field(description="teams whose dashboards this caller may read")


@router.post("/token", response_model=TokenRead)
async def issue_token(ctx: Ctx) -> TokenRead:
    """Exchange the API key in `Authorization` for a signed token carrying the same role and rep,
    valid for minutes (`GT_GATEWAY_TOKEN_TTL_SEC`). It ends early when the key is revoked. A token
    cannot be exchanged for another one."""
    issued = await auth.exchange_key(ctx.gw, ctx.caller)
    remaining = int((issued.expires_at - ctx.gw.clock()).total_seconds())
    return TokenRead(access_token=issued.token, expires_at=issued.expires_at, expires_in=max(remaining, 0))


@router.get("/session", response_model=SessionRead)
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
