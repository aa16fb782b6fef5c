"""Who may do what: the role policy of every operation and the scope rules for reps and managers.

Roles: admins run their tenant; plugins push CRM events, pull the write-back feed and read scores;
managers read what concerns their teams (and themselves); reps read only themselves. Tenancy is not
decided here: every operation runs inside the caller's tenant, whatever the request says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.gateway.domain.principal import Principal, Role
from services.gateway.errors import InvalidRequest, PermissionDenied

ALL = frozenset(Role)
_A, _M, _R, _P = Role.ADMIN, Role.MANAGER, Role.REP, Role.PLUGIN


class Operation(StrEnum):
    """Every capability of the public API, shared by REST routes and gRPC methods."""

    ISSUE_TOKEN = "auth.token"
    READ_SESSION = "auth.session"
    INGEST_CRM_EVENTS = "crm.ingest"
    READ_FEED = "feed.read"
    ACK_FEED = "feed.ack"
    READ_REP_ACTIVITIES = "activities.read"
    READ_REP_SCORE = "scores.rep"
    READ_REP_SCORES = "scores.list"
    READ_TEAM_HEALTH = "team_health.read"
    READ_DIAGNOSTICS = "diagnostics.read"
    READ_NOTIFICATIONS = "notifications.read"
    READ_CUSTOMIZATION_DEBT = "customization_debt.read"
    READ_FIELD_FRICTION = "field_friction.read"
    READ_FORECAST_ACCURACY = "forecast_accuracy.read"
    READ_READINESS = "readiness.read"
    READ_OPPORTUNITIES = "opportunities.read"
    READ_MY_AGENDA = "me.agenda"
    READ_MY_SCORE = "me.score"
    READ_MY_HELP = "me.help"
    READ_MY_EXCLUSIONS = "me.exclusions.read"
    WRITE_MY_EXCLUSIONS = "me.exclusions.write"
    READ_TENANT_CONFIG = "admin.config.read"
    WRITE_TENANT_CONFIG = "admin.config.write"
    READ_CAPTURE_POLICY = "admin.capture_policy.read"
    WRITE_CAPTURE_POLICY = "admin.capture_policy.write"
    READ_CONNECTIONS = "admin.connections.read"
    WRITE_CONNECTIONS = "admin.connections.write"
    WRITE_MAILBOXES = "admin.mailboxes.write"
    READ_SYNC_STATUS = "admin.sync.read"
    TRIGGER_SYNC = "admin.sync.trigger"
    ERASE_REP = "admin.erase_rep"
    READ_API_KEYS = "admin.api_keys.read"
    WRITE_API_KEYS = "admin.api_keys.write"


# Which roles may attempt each operation; scope rules (own rep, own team) apply on top.
POLICY: dict[Operation, frozenset[Role]] = {
    Operation.ISSUE_TOKEN: ALL,
    Operation.READ_SESSION: ALL,
    Operation.INGEST_CRM_EVENTS: frozenset({_P}),
    Operation.READ_FEED: frozenset({_P}),
    Operation.ACK_FEED: frozenset({_P}),
    Operation.READ_REP_ACTIVITIES: frozenset({_A, _M, _R}),
    Operation.READ_REP_SCORE: ALL,
    Operation.READ_REP_SCORES: frozenset({_A, _M, _P}),
    Operation.READ_TEAM_HEALTH: frozenset({_A, _M, _P}),
    Operation.READ_DIAGNOSTICS: frozenset({_A, _M, _P}),
    Operation.READ_NOTIFICATIONS: frozenset({_A, _M, _P}),
    Operation.READ_CUSTOMIZATION_DEBT: frozenset({_A, _M, _P}),
    Operation.READ_FIELD_FRICTION: frozenset({_A, _M, _P}),
    Operation.READ_FORECAST_ACCURACY: ALL,
    Operation.READ_READINESS: frozenset({_A, _P}),
    Operation.READ_OPPORTUNITIES: ALL,
    Operation.READ_MY_AGENDA: frozenset({_M, _R}),
    Operation.READ_MY_SCORE: frozenset({_M, _R}),
    Operation.READ_MY_HELP: frozenset({_M, _R}),
    Operation.READ_MY_EXCLUSIONS: frozenset({_M, _R}),
    Operation.WRITE_MY_EXCLUSIONS: frozenset({_M, _R}),
    **{
        op: frozenset({_A})
        for op in (
            Operation.READ_TENANT_CONFIG,
            Operation.WRITE_TENANT_CONFIG,
            Operation.READ_CAPTURE_POLICY,
            Operation.WRITE_CAPTURE_POLICY,
            Operation.READ_CONNECTIONS,
            Operation.WRITE_CONNECTIONS,
            Operation.WRITE_MAILBOXES,
            Operation.READ_SYNC_STATUS,
            Operation.TRIGGER_SYNC,
            Operation.ERASE_REP,
            Operation.READ_API_KEYS,
            Operation.WRITE_API_KEYS,
        )
    },
}


def require(principal: Principal, operation: Operation) -> None:
    """Raise `PermissionDenied` unless the caller's role may attempt `operation`."""
    if principal.role not in POLICY[operation]:
        allowed = ", ".join(sorted(POLICY[operation]))
        raise PermissionDenied(f"a {principal.role} key cannot {operation.value}; allowed: {allowed}")


def own_rep(principal: Principal) -> str:
    """The rep a rep or manager key acts for; other keys have none."""
    if principal.rep_id is None:
        raise PermissionDenied(f"a {principal.role} key is not bound to a rep; use a rep or manager key")
    return principal.rep_id


@dataclass(frozen=True)
class Team:
    team_id: str
    manager_rep_id: str
    member_rep_ids: frozenset[str]


@dataclass(frozen=True)
class TeamDirectory:
    """The tenant's teams as its current configuration defines them."""

    teams: tuple[Team, ...] = ()

    @classmethod
    def of(cls, teams: Iterable[Team]) -> TeamDirectory:
        return cls(tuple(teams))

    def managed_by(self, rep_id: str) -> list[Team]:
        return [t for t in self.teams if t.manager_rep_id == rep_id]

    def visible_reps(self, manager_rep_id: str) -> frozenset[str]:
        """The manager and every member of the teams they manage."""
        members = {manager_rep_id}
        for team in self.managed_by(manager_rep_id):
            members |= team.member_rep_ids
        return frozenset(members)


def visible_reps(principal: Principal, directory: TeamDirectory) -> frozenset[str] | None:
    """Reps whose data the caller may read; None means every rep of the tenant."""
    if principal.role in (Role.ADMIN, Role.PLUGIN):
        return None
    rep = own_rep(principal)
    if principal.role is Role.REP:
        return frozenset({rep})
    return directory.visible_reps(rep)


def check_rep(principal: Principal, rep_id: str, directory: TeamDirectory) -> None:
    """Raise `PermissionDenied` unless the caller may read `rep_id`'s data."""
    visible = visible_reps(principal, directory)
    if visible is not None and rep_id not in visible:
        if principal.role is Role.REP:
            raise PermissionDenied("a rep key reads only its own rep's data")
        raise PermissionDenied(f"rep {rep_id!r} is not in a team this manager key manages")


def resolve_team(principal: Principal, team_id: str, directory: TeamDirectory) -> str:
    """The team a team-level read is about; "" means the whole tenant.

    Admins and plugins may ask for any team or the whole tenant. Managers must name a team they
    manage; when they manage exactly one, it is the default. Reps have no team-level reads.
    """
    if principal.role in (Role.ADMIN, Role.PLUGIN):
        return team_id
    if principal.role is Role.REP:
        raise PermissionDenied("a rep key cannot read team-level data")
    managed = [t.team_id for t in directory.managed_by(own_rep(principal))]
    if not team_id:
        if len(managed) == 1:
            return managed[0]
        if not managed:
            raise PermissionDenied("this manager key manages no team in the tenant configuration")
        raise InvalidRequest(f"team_id is required: this manager manages {', '.join(sorted(managed))}")
    if team_id not in managed:
        raise PermissionDenied(f"team {team_id!r} is not managed by this manager key")
    return team_id
