"""The authorization matrix: for every REST route and every gRPC method, which roles may call it and
whether the rep/team scope applies. This table is the test's own statement of the policy (it does
not read `domain.access`), and the tests fail when a route or method has no entry here."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from google.protobuf.message import Message

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.gateway.v1 import gateway_pb2 as g
from services.gateway.domain.principal import Role
from tests.integration.gateway.events import login, team_config
from tests.integration.platform import TEST_CURSORS

A, M, R, P = Role.ADMIN, Role.MANAGER, Role.REP, Role.PLUGIN


class Scope(Enum):
    ANY = "any"  # allowed whatever rep or team the request names
    SCOPED = "scoped"  # allowed only for the caller's own rep (reps) or their teams (managers)


@dataclass(frozen=True)
class Target:
    """The rep and team a request names: in the caller's scope, or outside it."""

    rep: str
    team: str
    in_scope: bool


IN_SCOPE = Target("rep-1", "team-east", in_scope=True)  # the rep key's own rep, the manager's team
OUT_OF_SCOPE = Target("rep-9", "team-west", in_scope=False)  # another team, in the same tenant


@dataclass(frozen=True)
class RestRequest:
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None


# Builders get the target and a factory of throwaway API keys of the owning tenant (for revocation).
KeyFactory = Callable[[], Awaitable[str]]
RestBuilder = Callable[[Target, KeyFactory], Awaitable[RestRequest]]
GrpcBuilder = Callable[[Target, KeyFactory], Awaitable[Message]]


@dataclass(frozen=True)
class Case:
    allowed: dict[Role, Scope]
    build: Any  # RestBuilder or GrpcBuilder
    success: int = 200
    # The request names something only the owning tenant has (a connection, mailbox or key id):
    # from another tenant it must be NOT_FOUND rather than answered with that tenant's own data.
    tenant_unique: bool = False
    # The request carries a cursor signed for the owning tenant: from another tenant it is refused
    # as foreign (400 / INVALID_ARGUMENT), never applied there.
    tenant_bound: bool = False

    def allows(self, role: Role, target: Target) -> bool:
        scope = self.allowed.get(role)
        return scope is Scope.ANY or (scope is Scope.SCOPED and target.in_scope)


def rest(
    path: str, params: Callable[[Target], dict[str, str]] | None = None, json: Any = None
) -> RestBuilder:
    async def build(t: Target, _: KeyFactory) -> RestRequest:
        return RestRequest(path.format(rep=t.rep, team=t.team), params(t) if params else {}, json)

    return build


def msg(factory: Callable[[Target], Message]) -> GrpcBuilder:
    async def build(t: Target, _: KeyFactory) -> Message:
        return factory(t)

    return build


async def _fresh_key_path(_: Target, new_key: KeyFactory) -> RestRequest:
    return RestRequest(f"/v1/admin/api-keys/{await new_key()}")


async def _fresh_key_msg(_: Target, new_key: KeyFactory) -> Message:
    return g.RevokeApiKeyRequest(key_id=await new_key())


ANYONE = {A: Scope.ANY, M: Scope.ANY, R: Scope.ANY, P: Scope.ANY}
ADMIN = {A: Scope.ANY}
PLUGIN = {P: Scope.ANY}
REP_SELF = {M: Scope.ANY, R: Scope.ANY}
TEAM_READ = {A: Scope.ANY, M: Scope.SCOPED, P: Scope.ANY}
REP_READ = {A: Scope.ANY, M: Scope.SCOPED, R: Scope.SCOPED, P: Scope.ANY}
LOGIN = {"type": "user_login", "rep_id": "rep-1", "login_at": "2026-11-02T09:00:00Z"}
CONFIG = {
    "internal_domains": ["acme.example"],
    "stages": ["Discovery", "Proposal", "Closed Won"],
    "teams": [
        {"team_id": "team-east", "manager_rep_id": "mgr-1", "member_rep_ids": ["rep-1", "rep-2"]},
        {"team_id": "team-west", "manager_rep_id": "mgr-2", "member_rep_ids": ["rep-9"]},
    ],
}
GOOGLE_KEY = {
    "type": "service_account",
    "client_email": "sa@p.iam.example",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
}
TEAM = lambda t: {"team_id": t.team}  # noqa: E731
REP = lambda t: {"rep_id": t.rep}  # noqa: E731

# A cursor acme's gateway issued for its "default" subscription (the matrix's owning tenant).
ACME_CURSOR = TEST_CURSORS.feed_cursor(tenant_id="acme", subscription="default", sequence=0)

REST_MATRIX: dict[str, Case] = {
    "POST /v1/auth/token": Case(ANYONE, rest("/v1/auth/token")),
    "GET /v1/auth/session": Case(ANYONE, rest("/v1/auth/session")),
    "POST /v1/crm/events": Case(PLUGIN, rest("/v1/crm/events", json={"events": [LOGIN]}), success=202),
    "GET /v1/feed": Case(PLUGIN, rest("/v1/feed")),
    "POST /v1/feed/ack": Case(PLUGIN, rest("/v1/feed/ack", json={"cursor": ACME_CURSOR}), tenant_bound=True),
    "GET /v1/reps/{rep_id}/activities": Case(
        {A: Scope.ANY, M: Scope.SCOPED, R: Scope.SCOPED}, rest("/v1/reps/{rep}/activities")
    ),
    "GET /v1/reps/{rep_id}/score": Case(REP_READ, rest("/v1/reps/{rep}/score")),
    "GET /v1/scores": Case(TEAM_READ, rest("/v1/scores", TEAM)),
    "GET /v1/team-health": Case(TEAM_READ, rest("/v1/team-health", TEAM)),
    "GET /v1/diagnostics": Case(TEAM_READ, rest("/v1/diagnostics", TEAM)),
    "GET /v1/notifications": Case(TEAM_READ, rest("/v1/notifications", TEAM)),
    "GET /v1/customization-debt": Case(TEAM_READ, rest("/v1/customization-debt", TEAM)),
    "GET /v1/field-friction": Case(TEAM_READ, rest("/v1/field-friction", TEAM)),
    "GET /v1/forecast-accuracy": Case(REP_READ, rest("/v1/forecast-accuracy", REP)),
    "GET /v1/readiness": Case({A: Scope.ANY, P: Scope.ANY}, rest("/v1/readiness")),
    "GET /v1/opportunities": Case(REP_READ, rest("/v1/opportunities", REP)),
    "GET /v1/me/agenda": Case(REP_SELF, rest("/v1/me/agenda")),
    "GET /v1/me/score": Case(REP_SELF, rest("/v1/me/score")),
    "GET /v1/me/help": Case(REP_SELF, rest("/v1/me/help")),
    "GET /v1/me/exclusions": Case(REP_SELF, rest("/v1/me/exclusions")),
    "PUT /v1/me/exclusions": Case(
        REP_SELF, rest("/v1/me/exclusions", json={"excluded_domains": ["private.example"]})
    ),
    "GET /v1/admin/config": Case(ADMIN, rest("/v1/admin/config")),
    "PUT /v1/admin/config": Case(ADMIN, rest("/v1/admin/config", json=CONFIG)),
    "GET /v1/admin/capture-policy": Case(ADMIN, rest("/v1/admin/capture-policy")),
    "PUT /v1/admin/capture-policy": Case(
        ADMIN, rest("/v1/admin/capture-policy", json={"capture_level": "metadata"})
    ),
    "GET /v1/admin/connections": Case(ADMIN, rest("/v1/admin/connections")),
    "POST /v1/admin/connections/microsoft": Case(
        ADMIN,
        rest(
            "/v1/admin/connections/microsoft",
            json={
                "directory_tenant_id": "contoso.example",
                "client_id": "app-1",
                "client_secret": "top-secret-value",
            },
        ),
        success=201,
    ),
    "POST /v1/admin/connections/google": Case(
        ADMIN,
        rest(
            "/v1/admin/connections/google",
            json={"service_account_key": GOOGLE_KEY, "workspace_domain": "acme.example"},
        ),
        success=201,
    ),
    "DELETE /v1/admin/connections/{connection_id}": Case(
        ADMIN, rest("/v1/admin/connections/conn-acme-1"), success=204, tenant_unique=True
    ),
    "PUT /v1/admin/connections/{connection_id}/mailboxes": Case(
        ADMIN,
        rest(
            "/v1/admin/connections/conn-acme-1/mailboxes",
            json={"mailboxes": [{"address": "ann@acme.example", "rep_id": "rep-1"}]},
        ),
        tenant_unique=True,
    ),
    "DELETE /v1/admin/mailboxes/{address}": Case(
        ADMIN, rest("/v1/admin/mailboxes/ann@acme.example"), success=204, tenant_unique=True
    ),
    "GET /v1/admin/sync-status": Case(ADMIN, rest("/v1/admin/sync-status")),
    "POST /v1/admin/sync": Case(ADMIN, rest("/v1/admin/sync", json={})),
    "POST /v1/admin/reps/{rep_id}/erasure": Case(ADMIN, rest("/v1/admin/reps/rep-gone/erasure")),
    "GET /v1/admin/api-keys": Case(ADMIN, rest("/v1/admin/api-keys")),
    "POST /v1/admin/api-keys": Case(
        ADMIN, rest("/v1/admin/api-keys", json={"name": "x", "role": "plugin"}), success=201
    ),
    "DELETE /v1/admin/api-keys/{key_id}": Case(ADMIN, _fresh_key_path, tenant_unique=True),
}

GRPC_MATRIX: dict[str, Case] = {
    "IngestCrmEvents": Case(
        PLUGIN,
        msg(lambda t: g.IngestCrmEventsRequest(events=[login(t.rep)])),
    ),
    "ReadFeed": Case(PLUGIN, msg(lambda t: g.ReadFeedRequest())),
    "StreamFeed": Case(PLUGIN, msg(lambda t: g.StreamFeedRequest())),
    "AckFeed": Case(PLUGIN, msg(lambda t: g.AckFeedRequest(cursor=ACME_CURSOR)), tenant_bound=True),
    "ListRepActivities": Case(
        {A: Scope.ANY, M: Scope.SCOPED, R: Scope.SCOPED},
        msg(lambda t: g.ListRepActivitiesRequest(rep_id=t.rep)),
    ),
    "GetRepScore": Case(REP_READ, msg(lambda t: g.GetRepScoreRequest(rep_id=t.rep))),
    "ListRepScores": Case(TEAM_READ, msg(lambda t: g.ListRepScoresRequest(team_id=t.team))),
    "GetTeamHealth": Case(TEAM_READ, msg(lambda t: g.TeamRequest(team_id=t.team))),
    "ListDiagnostics": Case(TEAM_READ, msg(lambda t: g.ListDiagnosticsRequest(team_id=t.team))),
    "ListNotifications": Case(TEAM_READ, msg(lambda t: g.ListNotificationsRequest(team_id=t.team))),
    "GetCustomizationDebt": Case(TEAM_READ, msg(lambda t: g.CustomizationDebtRequest(team_id=t.team))),
    "GetFieldFriction": Case(TEAM_READ, msg(lambda t: g.TeamRequest(team_id=t.team))),
    "ListForecastAccuracy": Case(REP_READ, msg(lambda t: g.ListForecastAccuracyRequest(rep_id=t.rep))),
    "GetReadinessReport": Case({A: Scope.ANY, P: Scope.ANY}, msg(lambda t: g.GetReadinessReportRequest())),
    "ListOpportunities": Case(REP_READ, msg(lambda t: g.ListOpportunitiesRequest(rep_id=t.rep))),
    "GetMyAgenda": Case(REP_SELF, msg(lambda t: g.GetMyAgendaRequest())),
    "GetMyScore": Case(REP_SELF, msg(lambda t: g.GetMyScoreRequest())),
    "GetMyHelp": Case(REP_SELF, msg(lambda t: g.GetMyHelpRequest())),
    "GetMyExclusions": Case(REP_SELF, msg(lambda t: g.GetMyExclusionsRequest())),
    "SetMyExclusions": Case(
        REP_SELF, msg(lambda t: g.SetMyExclusionsRequest(excluded_domains=["private.example"]))
    ),
    "GetTenantConfig": Case(ADMIN, msg(lambda t: g.GetTenantConfigRequest())),
    "SetTenantConfig": Case(
        ADMIN,
        msg(lambda t: g.SetTenantConfigRequest(config=team_config())),
    ),
    "GetCapturePolicy": Case(ADMIN, msg(lambda t: g.GetCapturePolicyRequest())),
    "SetCapturePolicy": Case(
        ADMIN,
        msg(
            lambda t: g.SetCapturePolicyRequest(policy=c.CapturePolicy(capture_level=c.CAPTURE_LEVEL_SUBJECT))
        ),
    ),
    "ListConnections": Case(ADMIN, msg(lambda t: g.ListConnectionsRequest())),
    "RegisterMicrosoftConnection": Case(
        ADMIN,
        msg(
            lambda t: g.RegisterMicrosoftConnectionRequest(
                connection=c.RegisterMicrosoftConnectionRequest(
                    directory_tenant_id="contoso.example", client_id="app-1", client_secret="top-secret-value"
                )
            )
        ),
    ),
    "RegisterGoogleConnection": Case(
        ADMIN,
        msg(
            lambda t: g.RegisterGoogleConnectionRequest(
                service_account_key_json=json.dumps(GOOGLE_KEY), workspace_domain="acme.example"
            )
        ),
    ),
    "DeleteConnection": Case(
        ADMIN, msg(lambda t: g.DeleteConnectionRequest(connection_id="conn-acme-1")), tenant_unique=True
    ),
    "UpsertMailboxes": Case(
        ADMIN,
        msg(
            lambda t: g.UpsertMailboxesRequest(
                connection_id="conn-acme-1",
                mailboxes=[c.MailboxAssignment(address="ann@acme.example", rep_id="rep-1")],
            )
        ),
        tenant_unique=True,
    ),
    "RemoveMailbox": Case(
        ADMIN, msg(lambda t: g.RemoveMailboxRequest(address="ann@acme.example")), tenant_unique=True
    ),
    "GetSyncStatus": Case(ADMIN, msg(lambda t: g.GetSyncStatusRequest())),
    "TriggerSync": Case(ADMIN, msg(lambda t: g.TriggerSyncRequest())),
    "EraseRep": Case(ADMIN, msg(lambda t: g.EraseRepRequest(rep_id="rep-gone"))),
    "ListApiKeys": Case(ADMIN, msg(lambda t: g.ListApiKeysRequest())),
    "CreateApiKey": Case(ADMIN, msg(lambda t: g.CreateApiKeyRequest(name="x", role=g.ROLE_PLUGIN))),
    "RevokeApiKey": Case(ADMIN, _fresh_key_msg, tenant_unique=True),
}
