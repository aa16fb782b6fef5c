"""Sign-in for pages and short-lived clients: exchange an API key for a token, and say who is calling."""

from __future__ import annotations

from dataclasses import dataclass

from services.gateway.domain import tokens
from services.gateway.domain.access import Operation
from services.gateway.domain.principal import Principal, Role
from services.gateway.errors import PermissionDenied
from services.gateway.operations.scope import TenantScope, scoped


@dataclass(frozen=True)
class VisibleTeam:
    team_id: str
    name: str


@dataclass(frozen=True)
class Session:
    """Who a credential acts for and which team-level views it may open."""

    principal: Principal
    teams: tuple[VisibleTeam, ...]


@scoped(Operation.ISSUE_TOKEN)
async def exchange_key(scope: TenantScope) -> tokens.IssuedToken:
    """A token carrying the caller's key. Only a key may be exchanged: renewing a token with itself
    would let a stolen token live for ever."""
    if scope.principal.via_token:
        raise PermissionDenied("a token cannot be exchanged for another; present the API key")
    return scope.credentials.issue_token(scope.principal)


@scoped(Operation.READ_SESSION)
async def session(scope: TenantScope) -> Session:
    """The caller and the teams whose dashboards it may read (managers: the teams they manage;
    admins and plugins: every team; reps: none)."""
    p = scope.principal
    config = await scope.configs.config()
    if p.role is Role.REP:
        teams: list[VisibleTeam] = []
    else:
        teams = [
            VisibleTeam(t.team_id, t.name or t.team_id)
            for t in config.teams
            if p.role in (Role.ADMIN, Role.PLUGIN) or t.manager_rep_id == p.rep_id
        ]
    return Session(principal=p, teams=tuple(sorted(teams, key=lambda t: t.team_id)))
