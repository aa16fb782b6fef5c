"""API keys as admins list, create and revoke them (`/v1/admin/api-keys`); never a stored secret."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from plumbing.contracts.text import FILLED_LINE_PATTERN
from services.gateway.domain.identifiers import REP_ID_PATTERN
from services.gateway.domain.records import KeyRecord

RoleName = Literal["admin", "manager", "rep", "plugin"]


class ApiKeyRead(BaseModel):
    key_id: str
    prefix: str = Field(description="the start of the key, to recognise it: gt_<key_id>_...")
    name: str
    role: RoleName
    rep_id: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="updated at most once a minute")

    @classmethod
    def of(cls, record: KeyRecord) -> ApiKeyRead:
        return cls(
            key_id=record.key_id,
            prefix=f"gt_{record.key_id}_",
            name=record.name,
            role=record.role.value,
            rep_id=record.rep_id,
            created_at=record.created_at,
            created_by=record.created_by,
            revoked_at=record.revoked_at,
            last_used_at=record.last_used_at,
        )


class ApiKeyList(BaseModel):
    keys: list[ApiKeyRead]


KeyName = Annotated[str, Field(min_length=1, max_length=200, pattern=FILLED_LINE_PATTERN)]


class RepKeyCreate(BaseModel):
    """A rep or manager key: it acts for one rep, so `rep_id` is required."""

    model_config = ConfigDict(extra="forbid")
    name: KeyName
    role: Literal["rep", "manager"]
    rep_id: Annotated[str, Field(pattern=REP_ID_PATTERN)]


class TenantKeyCreate(BaseModel):
    """An admin or plugin key: it acts for the whole tenant, so it has no `rep_id`."""

    model_config = ConfigDict(extra="forbid")
    name: KeyName
    role: Literal["admin", "plugin"]
    rep_id: None = Field(default=None, description="absent: an admin or plugin key acts for the whole tenant")


ApiKeyCreate = Annotated[RepKeyCreate | TenantKeyCreate, Field(discriminator="role")]


class ApiKeyCreated(BaseModel):
    key: ApiKeyRead
    secret: str = Field(description="the API key itself; shown only now, store it safely")
