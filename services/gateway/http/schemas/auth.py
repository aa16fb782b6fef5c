"""Sign-in answers: the short-lived token for an API key, and who a credential acts for."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


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
