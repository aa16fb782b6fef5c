"""What the gateway stores about tenants and their API keys, as the stores hand it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.gateway.domain.principal import Role


@dataclass(frozen=True)
class TenantRecord:
    tenant_id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class KeyRecord:
    """One API key's row: never the key itself, only the HMAC of its secret (domain/api_keys.py)."""

    key_id: str
    tenant_id: str
    name: str
    role: Role
    rep_id: str | None
    secret_hash: bytes
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None
