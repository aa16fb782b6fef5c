"""What the gateway's operations need from the outside world, as Protocols; `adapters/` implements them.

How tenants stay apart: every port that reads or writes a tenant's data is a `PerTenant` factory.
`for_tenant(tenant_id)` returns a handle bound to that tenant: its upstream requests carry the tenant,
its SQL filters by it, and none of its methods takes a tenant argument. For API callers the only
caller of `for_tenant` is `operations/scope.py`, with the tenant of the caller's key; the operator's
commands (`operations/tenants.py`, `python -m services.gateway admin`) are the one other caller.

Unless a docstring says otherwise, methods may block on the network or the database. Upstream
refusals and outages surface as `services.gateway.errors` (`InvalidRequest`, `NotFound`, `Conflict`,
`UpstreamUnavailable`); a PostgreSQL outage surfaces as asyncpg's own errors, which both edges answer
with 503 / UNAVAILABLE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Generic, Protocol, TypeVar

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.domain.access import TeamDirectory
from services.gateway.domain.idempotency import ClaimResult, StoredAnswer
from services.gateway.domain.principal import Principal, Role
from services.gateway.domain.records import KeyRecord, TenantRecord
from services.gateway.domain.tokens import IssuedToken

TPort_co = TypeVar("TPort_co", covariant=True)
TValue = TypeVar("TValue")


class PerTenant(Protocol[TPort_co]):
    """A port whose data belongs to tenants: reached only through a handle bound to one tenant."""

    def for_tenant(self, tenant_id: str) -> TPort_co:
        """The handle for `tenant_id`; cheap (no I/O), built per operation."""
        ...


@dataclass
class Cached(Generic[TValue]):
    """An answer that may be served many times, and its REST rendering, computed once.

    Holders must not modify `value`: the same object is handed to every reader.
    """

    value: TValue
    rendered: bytes | None = None

    def render(self, renderer: Callable[[TValue], bytes]) -> bytes:
        if self.rendered is None:
            self.rendered = renderer(self.value)
        return self.rendered


class TenantScoring(Protocol):
    """scoring's ScoringQuery and ScoringAdmin for one tenant: one gRPC call per method, bounded by
    the upstream timeout, nothing cached."""

    async def list_activities(
        self, *, rep_id: str, page_size: int, page_token: str
    ) -> s.ListActivitiesResponse: ...
    async def get_rep_score(self, *, rep_id: str) -> s.RepScore: ...
    async def list_rep_scores(
        self, *, team_id: str, page_size: int, page_token: str, role: str = ""
    ) -> s.ListRepScoresResponse: ...
    async def get_team_health(self, *, team_id: str, as_of: str = "") -> s.TeamHealth:
        """The latest snapshot, or with `as_of` (ISO date) the one kept on that day or before;
        raises NotFound when none was kept."""
        ...

    async def list_notifications(self, *, team_id: str, limit: int) -> s.ListNotificationsResponse: ...
    async def list_diagnostics(self, *, team_id: str, rep_id: str) -> s.ListDiagnosticsResponse: ...
    async def get_field_friction(self, *, team_id: str) -> s.GetFieldFrictionResponse: ...
    async def list_matched_activities(
        self, *, after_sequence: int, page_size: int
    ) -> s.ListMatchedActivitiesResponse: ...
    async def get_rep_agenda(
        self, *, rep_id: str, date: str, time_zone: str = ""
    ) -> s.GetRepAgendaResponse: ...
    async def list_forecast_accuracy(self, *, rep_id: str) -> s.ListForecastAccuracyResponse: ...
    async def get_readiness_report(self) -> s.ReadinessReport: ...
    async def list_opportunities(
        self, *, team_id: str, rep_id: str, review_ready_only: bool, page_size: int, page_token: str
    ) -> s.ListOpportunitiesResponse: ...
    async def erase_rep(self, *, rep_id: str) -> s.EraseRepResponse:
        """Delete the rep's data in scoring and publish its tombstones; idempotent."""
        ...


class TenantCapture(Protocol):
    """capture's CaptureAdmin for one tenant: one gRPC call per method, bounded by the upstream
    timeout. Secrets (client secrets, certificate keys, service-account keys) pass through to capture
    and are never logged; capture never returns them."""

    async def register_microsoft(self, request: c.RegisterMicrosoftConnectionRequest) -> c.Connection:
        """Register the app registration in `request`; its `tenant_id` is replaced by this handle's."""
        ...

    async def register_google(
        self, *, connection_id: str, service_account_key_json: str, workspace_domain: str
    ) -> c.Connection: ...
    async def list_connections(self) -> c.ListConnectionsResponse: ...
    async def delete_connection(self, *, connection_id: str) -> c.DeleteConnectionResponse: ...
    async def upsert_mailboxes(
        self, *, connection_id: str, mailboxes: Sequence[c.MailboxAssignment]
    ) -> c.UpsertMailboxesResponse: ...
    async def remove_mailbox(self, *, address: str) -> c.RemoveMailboxResponse: ...
    async def get_sync_status(self, *, mailbox: str) -> c.GetSyncStatusResponse: ...
    async def trigger_sync(self, *, mailbox: str, full_resync: bool) -> c.TriggerSyncResponse: ...
    async def get_capture_policy(self) -> c.CapturePolicy: ...
    async def set_capture_policy(
        self,
        *,
        capture_level: c.CaptureLevel.ValueType,
        internal_domains: Sequence[str],
        excluded_addresses: Sequence[str],
        excluded_domains: Sequence[str],
    ) -> c.CapturePolicy: ...
    async def get_rep_exclusions(self, *, rep_id: str) -> c.RepExclusions: ...
    async def set_rep_exclusions(
        self, *, rep_id: str, excluded_addresses: Sequence[str], excluded_domains: Sequence[str]
    ) -> c.RepExclusions: ...
    async def erase_rep(self, *, rep_id: str) -> c.EraseRepResponse:
        """Stop capturing the rep and forget its mailboxes; idempotent."""
        ...


class LockedTenant(Protocol):
    """One transaction holding the tenant's row lock, so writers of one tenant's state run one at a
    time. Opened by `TenantStore.locked()`; it commits when the block ends normally and rolls back
    when the block raises."""

    @property
    def exists(self) -> bool:
        """False when the tenant is unknown (there was no row to lock)."""
        ...

    async def current_config(self) -> crm_pb2.TenantConfig | None: ...
    async def insert_config(self, config: crm_pb2.TenantConfig, *, created_by: str) -> None: ...
    async def find_key(self, key_id: str) -> KeyRecord | None:
        """The tenant's key by id; None when there is none, or when the key is another tenant's."""
        ...

    async def count_active_admin_keys(self) -> int: ...
    async def revoke_key(self, key_id: str) -> KeyRecord | None:
        """Revoke (idempotently); None when the tenant has no such key."""
        ...


class TenantStore(Protocol):
    """The gateway's own tables (schema `gateway`) for one tenant: API keys, configuration versions,
    feed acks and Idempotency-Keys. Each method outside `locked()` is one statement on its own."""

    def locked(self) -> AbstractAsyncContextManager[LockedTenant]: ...
    async def current_config(self) -> crm_pb2.TenantConfig | None:
        """The latest stored configuration; None before the first one."""
        ...

    async def config_as_of(self, day: date) -> crm_pb2.TenantConfig | None:
        """The configuration in force at the end of `day` (the latest version created by then)."""
        ...

    async def configs_after(self, day: date, *, limit: int) -> list[tuple[crm_pb2.TenantConfig, date]]:
        """The newest `limit` versions created after the end of `day`, oldest first, each with the
        UTC day it was created on."""
        ...

    async def list_keys(self) -> list[KeyRecord]: ...
    async def insert_key(
        self, *, key_id: str, name: str, role: Role, rep_id: str | None, secret_hash: bytes, created_by: str
    ) -> KeyRecord: ...
    async def revoke_rep_keys(self, *, rep_id: str) -> list[str]:
        """Revoke every active key bound to the rep; returns their ids."""
        ...

    async def acked_sequence(self, *, subscription: str) -> int:
        """The subscription's stored resume point (0 before its first ack)."""
        ...

    async def ack(self, *, subscription: str, sequence: int) -> int:
        """Store the ack; returns the resume point afterwards, which never moves backwards."""
        ...

    async def claim_idempotency_key(
        self, *, operation: str, key: str, fingerprint: bytes, ttl_hours: int, lease_sec: float
    ) -> ClaimResult:
        """Claim (operation, key) for a request with this fingerprint; an expired claim counts as
        none, and so does an unfinished claim of the same request older than `lease_sec` (its
        request died with its process or its database connection). On `Claim.NEW` the caller must
        complete or release it."""
        ...

    async def complete_idempotency_key(self, *, operation: str, key: str, answer: StoredAnswer) -> None: ...
    async def release_idempotency_key(self, *, operation: str, key: str) -> None:
        """Forget an uncompleted claim, so the client may retry with the same key."""
        ...


class Tenants(PerTenant[TenantStore], Protocol):
    """The register of tenants. Only the operator's commands use it: an API caller never creates,
    lists or names another tenant."""

    async def create_tenant(self, *, tenant_id: str, name: str) -> bool:
        """False when the tenant already exists (it is left unchanged)."""
        ...

    async def tenant_exists(self, tenant_id: str) -> bool: ...
    async def list_tenants(self) -> list[TenantRecord]: ...


class TenantConfigs(Protocol):
    """The tenant's current configuration as read for access decisions, cached per process for a
    few seconds (other replicas see a change within that time)."""

    async def config(self) -> crm_pb2.TenantConfig:
        """The current configuration, or the default (version 0) before the first one."""
        ...

    async def directory(self) -> TeamDirectory: ...
    def invalidate(self) -> None:
        """Forget the cached configuration (after a write); no I/O."""
        ...


class TenantRepScores(Protocol):
    """The latest rep scores of one tenant: from the in-memory score view when it holds the rep, else
    through a short-lived cache in front of scoring."""

    async def get(self, rep_id: str) -> Cached[s.RepScore]: ...
    def evict(self, rep_id: str) -> None:
        """After an erasure: never serve this rep from memory again until scoring's tombstone; no I/O."""
        ...


class EventPublisher(Protocol):
    """Publishes CRM events to gt.crm.events.v1.

    `publish` returns only once the broker acknowledged every event; it raises
    `UpstreamUnavailable` otherwise (some events may then have been published: their ids are
    stable, so a retry is harmless downstream).
    """

    async def publish(self, events: Sequence[crm_pb2.CrmEvent]) -> None: ...


class Credentials(Protocol):
    """API keys and the short-lived tokens issued for them (adapters/authenticator.py)."""

    async def authenticate(self, authorization: str | None) -> Principal:
        """The caller an `Authorization` value names; raises `Unauthenticated` or `RateLimited`."""
        ...

    def issue_token(self, principal: Principal) -> IssuedToken:
        """A token carrying `principal` (the caller decides who may have one); no I/O."""
        ...

    async def still_valid(self, principal: Principal) -> bool:
        """For long-lived calls (the streaming feed): False once the key has been revoked."""
        ...

    def forget(self, key_id: str) -> None:
        """Drop the cached key, so a revocation takes effect on this replica at once; no I/O."""
        ...
