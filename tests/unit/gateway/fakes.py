"""In-memory stand-ins for the gateway's ports (`services/gateway/ports.py`), recording which tenant
each handle was bound to and what was asked of it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain import tokens
from services.gateway.domain.access import TeamDirectory
from services.gateway.domain.cursors import CursorSigner
from services.gateway.domain.idempotency import Claim, ClaimResult, StoredAnswer
from services.gateway.domain.principal import Principal
from services.gateway.domain.tenant_config import default_config, directory_of
from services.gateway.operations.context import Gateway, Limits

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Binder:
    """A `PerTenant` whose handles are `Handle`s; remembers every tenant it was asked for."""

    bound: list[str] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    config: crm_pb2.TenantConfig = field(default_factory=default_config)
    claims: dict[tuple[str, str, str], tuple[bytes, StoredAnswer | None]] = field(default_factory=dict)

    def for_tenant(self, tenant_id: str) -> Handle:
        self.bound.append(tenant_id)
        return Handle(self, tenant_id)


class Handle:
    """Every port method at once: records (tenant, method, arguments) and answers something plausible."""

    def __init__(self, binder: Binder, tenant_id: str) -> None:
        self._binder = binder
        self._tenant_id = tenant_id

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self._binder.calls.append((self._tenant_id, name, kwargs))
            return None

        return call

    def evict(self, rep_id: str) -> None:
        self._binder.calls.append((self._tenant_id, "evict", {"rep_id": rep_id}))

    async def revoke_rep_keys(self, *, rep_id: str) -> list[str]:
        self._binder.calls.append((self._tenant_id, "revoke_rep_keys", {"rep_id": rep_id}))
        return []

    async def config(self) -> crm_pb2.TenantConfig:
        return self._binder.config

    async def directory(self) -> TeamDirectory:
        return directory_of(self._binder.config)

    async def claim_idempotency_key(
        self, *, operation: str, key: str, fingerprint: bytes, ttl_hours: int, lease_sec: float
    ) -> ClaimResult:
        self._binder.calls.append((self._tenant_id, "claim_idempotency_key", {"operation": operation}))
        held = self._binder.claims.get((self._tenant_id, operation, key))
        if held is None:
            self._binder.claims[(self._tenant_id, operation, key)] = (fingerprint, None)
            return ClaimResult(Claim.NEW)
        if held[0] != fingerprint:
            return ClaimResult(Claim.MISMATCH)
        return ClaimResult(Claim.REPLAY, held[1]) if held[1] else ClaimResult(Claim.IN_FLIGHT)

    async def complete_idempotency_key(self, *, operation: str, key: str, answer: StoredAnswer) -> None:
        fingerprint, _ = self._binder.claims[(self._tenant_id, operation, key)]
        self._binder.claims[(self._tenant_id, operation, key)] = (fingerprint, answer)

    async def release_idempotency_key(self, *, operation: str, key: str) -> None:
        self._binder.calls.append((self._tenant_id, "release_idempotency_key", {"operation": operation}))
        del self._binder.claims[(self._tenant_id, operation, key)]

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[Handle]:
        yield self


@dataclass
class Publisher:
    published: list[crm_pb2.CrmEvent] = field(default_factory=list)
    failure: Exception | None = None

    async def publish(self, events: Sequence[crm_pb2.CrmEvent]) -> None:
        if self.failure is not None:
            raise self.failure
        self.published.extend(events)


class Credentials:
    async def authenticate(self, authorization: str | None) -> Principal:
        raise AssertionError("operations never authenticate")

    def issue_token(self, principal: Principal) -> tokens.IssuedToken:
        return tokens.IssuedToken(token="gtt_x.y", expires_at=NOW)

    async def still_valid(self, principal: Principal) -> bool:
        return True

    def forget(self, key_id: str) -> None:
        pass


@dataclass
class FakeGateway:
    """A `Gateway` on fakes, and the fakes themselves for the test to inspect."""

    binder: Binder = field(default_factory=Binder)
    publisher: Publisher = field(default_factory=Publisher)

    def gateway(self) -> Gateway:
        return Gateway(
            store=self.binder,
            scoring=self.binder,
            capture=self.binder,
            scores=self.binder,
            configs=self.binder,
            publisher=self.publisher,
            credentials=Credentials(),
            pepper=b"p" * 16,
            cursors=CursorSigner(b"c" * 32),
            limits=Limits(max_batch_events=3),
            clock=lambda: NOW,
        )
