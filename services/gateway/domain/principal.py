"""Who is calling: the tenant, role and (for reps and managers) rep an API key acts for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    REP = "rep"
    PLUGIN = "plugin"


# Keys of these roles act for one rep (their own data, and a manager's teams).
REP_BOUND_ROLES = frozenset({Role.MANAGER, Role.REP})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. The tenant comes from the key, never from the request."""

    tenant_id: str
    key_id: str
    role: Role
    rep_id: str | None = None
    # True when the caller presented a short-lived token (domain/tokens.py) rather than the key itself.
    via_token: bool = False
