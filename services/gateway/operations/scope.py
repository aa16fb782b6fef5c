"""Access and tenancy, in one place: every API operation runs inside a `TenantScope`.

An operation is declared with the capability it needs:

    @scoped(Operation.READ_REP_SCORE)
    async def rep_score(scope: TenantScope, *, rep_id: str) -> Cached[s.RepScore]:
        return await scope.scores.get(await scope.readable_rep(rep_id))

and called by the edges as `rep_score(gateway, principal, rep_id=...)`. Before the body runs, the
caller's role is checked against `domain.access.POLICY` (`PermissionDenied` otherwise). The body sees
no `Gateway`, only the scope: every port in it is bound to the tenant of the caller's key (see
`ports.PerTenant`), so no request field can point an operation at another tenant. The finer rules
(a rep reads only itself, a manager only the teams they manage) are the scope's `readable_rep`,
`readable_team` and `visible_reps`, which apply `domain.access` with the tenant's teams.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Concatenate, ParamSpec, TypeVar

from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain.access import (
    Operation,
    TeamDirectory,
    check_rep,
    own_rep,
    require,
    resolve_team,
    visible_reps,
)
from services.gateway.domain.principal import Principal
from services.gateway.operations import checks
from services.gateway.operations.context import Gateway, Limits
from services.gateway.ports import (
    Credentials,
    TenantCapture,
    TenantConfigs,
    TenantRepScores,
    TenantScoring,
    TenantStore,
)

TParams = ParamSpec("TParams")
TResult = TypeVar("TResult")


class TenantScope:
    """One operation's view of the gateway: its caller, and every port bound to the caller's tenant.

    Built by `scoped` (or `enter`) once the role check passed; lives for one operation. Ports are
    bound on first use. Not shared between operations.
    """

    __slots__ = (
        "_capture",
        "_configs",
        "_directory",
        "_gateway",
        "_scores",
        "_scoring",
        "_store",
        "principal",
        "tenant_id",
    )

    def __init__(self, gateway: Gateway, principal: Principal) -> None:
        self.principal = principal
        self.tenant_id = principal.tenant_id
        self._gateway = gateway
        self._directory: TeamDirectory | None = None
        # Bound on first use: most operations need one or two ports (and reads are hot).
        self._scoring: TenantScoring | None = None
        self._capture: TenantCapture | None = None
        self._store: TenantStore | None = None
        self._scores: TenantRepScores | None = None
        self._configs: TenantConfigs | None = None

    @property
    def scoring(self) -> TenantScoring:
        if self._scoring is None:
            self._scoring = self._gateway.scoring.for_tenant(self.tenant_id)
        return self._scoring

    @property
    def capture(self) -> TenantCapture:
        if self._capture is None:
            self._capture = self._gateway.capture.for_tenant(self.tenant_id)
        return self._capture

    @property
    def store(self) -> TenantStore:
        if self._store is None:
            self._store = self._gateway.store.for_tenant(self.tenant_id)
        return self._store

    @property
    def scores(self) -> TenantRepScores:
        if self._scores is None:
            self._scores = self._gateway.scores.for_tenant(self.tenant_id)
        return self._scores

    @property
    def configs(self) -> TenantConfigs:
        if self._configs is None:
            self._configs = self._gateway.configs.for_tenant(self.tenant_id)
        return self._configs

    @property
    def credentials(self) -> Credentials:
        """Keys are global by id; operations only forget keys of this tenant or read the caller's."""
        return self._gateway.credentials

    @property
    def limits(self) -> Limits:
        return self._gateway.limits

    @property
    def pepper(self) -> bytes:
        return self._gateway.pepper

    def feed_cursor(self, subscription: str, sequence: int) -> str:
        """A cursor of this tenant's feed for `subscription` (`domain/cursors.py`)."""
        return self._gateway.cursors.feed_cursor(
            tenant_id=self.tenant_id, subscription=subscription, sequence=sequence
        )

    def feed_position(self, subscription: str, cursor: str) -> int:
        """The position of a cursor this gateway issued to this tenant for `subscription`;
        `InvalidRequest` for any other."""
        return self._gateway.cursors.feed_position(
            cursor, tenant_id=self.tenant_id, subscription=subscription
        )

    def page_token(self, listing: str, upstream: str) -> str:
        """Scoring's next-page token, signed for this tenant's `listing` ("" stays "")."""
        return self._gateway.cursors.page_token(upstream, tenant_id=self.tenant_id, listing=listing)

    def page_position(self, listing: str, token: str) -> str:
        """Scoring's token inside a page token this gateway issued for this tenant's `listing`."""
        return self._gateway.cursors.page_position(
            checks.page_token(token), tenant_id=self.tenant_id, listing=listing
        )

    def now(self) -> datetime:
        return self._gateway.clock()

    def seal_secret(self, secret: str) -> bytes:
        """A webhook secret sealed for storage; raises InvalidRequest when no key is configured."""
        return self._gateway.seal_secret(secret)

    async def publish(self, events: Sequence[crm_pb2.CrmEvent]) -> None:
        """Publish events of this tenant (awaiting the broker's acks). An event of another tenant is
        a bug in the operation, never the caller's doing: it is refused before anything is sent."""
        if any(event.tenant_id != self.tenant_id for event in events):
            raise ValueError("an operation tried to publish an event of another tenant")
        await self._gateway.publisher.publish(events)

    # ---- who may read what, within the tenant (domain/access.py applied to its teams) ----

    @property
    def own_rep(self) -> str:
        """The rep a rep or manager key acts for; `PermissionDenied` for other keys."""
        return own_rep(self.principal)

    async def directory(self) -> TeamDirectory:
        """The tenant's teams, read once per operation."""
        if self._directory is None:
            self._directory = await self.configs.directory()
        return self._directory

    async def readable_rep(self, rep_id: str) -> str:
        """`rep_id`, validated (`InvalidRequest`), if the caller may read that rep's data
        (`PermissionDenied` otherwise)."""
        rep = checks.rep_id(rep_id)
        check_rep(self.principal, rep, await self.directory())
        return rep

    async def readable_team(self, team_id: str) -> str:
        """The team a team-level read is about ("" is the whole tenant), validated and allowed:
        admins and plugins any, managers theirs (the only one by default), reps none."""
        team = checks.optional_team_id(team_id)
        return resolve_team(self.principal, team, await self.directory())

    async def visible_reps(self) -> frozenset[str] | None:
        """The reps whose data the caller may see in a list answer; None means every rep."""
        return visible_reps(self.principal, await self.directory())


_CAPABILITY = "__groundtruth_capability__"


def capability_of(use_case: Callable[..., object]) -> str:
    """The capability a `@scoped` use case needs (an edge declares it to decide access early)."""
    capability = getattr(use_case, _CAPABILITY, None)
    if not isinstance(capability, Operation):
        raise TypeError(f"{getattr(use_case, '__name__', use_case)!r} is not a @scoped use case")
    return capability.value


def authorize(principal: Principal, capability: str) -> None:
    """`PermissionDenied` unless the caller's role may attempt `capability` (an `Operation` value).

    The REST edge calls it before reading the request body, so a key of the wrong role learns
    nothing about what a valid body would be; the use case checks again when it runs.
    """
    require(principal, Operation(capability))


def enter(gateway: Gateway, principal: Principal, operation: Operation) -> TenantScope:
    """The scope for `principal` running `operation`; `PermissionDenied` unless its role may."""
    require(principal, operation)
    return TenantScope(gateway, principal)


def scoped(
    operation: Operation,
) -> Callable[
    [Callable[Concatenate[TenantScope, TParams], Awaitable[TResult]]],
    Callable[Concatenate[Gateway, Principal, TParams], Awaitable[TResult]],
]:
    """Declare a use case of `operation`: the decorated body takes a `TenantScope`; callers call it
    with the gateway and the authenticated principal instead (see the module docstring)."""

    def decorate(
        body: Callable[Concatenate[TenantScope, TParams], Awaitable[TResult]],
    ) -> Callable[Concatenate[Gateway, Principal, TParams], Awaitable[TResult]]:
        @functools.wraps(body)
        async def run(
            gateway: Gateway, principal: Principal, /, *args: TParams.args, **kwargs: TParams.kwargs
        ) -> TResult:
            return await body(enter(gateway, principal, operation), *args, **kwargs)

        setattr(run, _CAPABILITY, operation)
        return run

    return decorate
