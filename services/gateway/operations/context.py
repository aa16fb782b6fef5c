"""`Gateway`: every port an operation may use, built once in app.py; and the API's size limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.gateway.domain.cursors import CursorSigner
from services.gateway.errors import InvalidRequest
from services.gateway.ports import (
    Credentials,
    EventPublisher,
    PerTenant,
    TenantCapture,
    TenantConfigs,
    TenantRepScores,
    TenantScoring,
    TenantStore,
)


@dataclass(frozen=True)
class Limits:
    max_page_size: int = 500
    max_batch_events: int = 500
    idempotency_ttl_hours: int = 24
    idempotency_lease_sec: float = 30.0
    feed_poll_interval_sec: float = 1.0

    def page_size(self, value: int, *, default: int = 50) -> int:
        if value == 0:
            return default
        if not 1 <= value <= self.max_page_size:
            raise InvalidRequest(f"page_size must be 1..{self.max_page_size}")
        return value


@dataclass(frozen=True)
class Gateway:
    """Everything an operation may use, as ports; owned by the running gateway.

    Operations do not read the tenant ports from here: `operations/scope.py` binds them to the
    caller's tenant and hands the operation a `TenantScope`. The edges use `credentials` to
    authenticate and `clock` to state expiry times.
    """

    store: PerTenant[TenantStore]
    scoring: PerTenant[TenantScoring]
    capture: PerTenant[TenantCapture]
    scores: PerTenant[TenantRepScores]
    configs: PerTenant[TenantConfigs]
    publisher: EventPublisher
    credentials: Credentials
    pepper: bytes
    cursors: CursorSigner  # signs feed cursors and page tokens (one key for every replica)
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Seals a webhook signing secret before it is stored (plumbing/sealed_secrets.py); without a key
    # the gateway refuses to store one rather than keep it in clear.
    seal_secret: Callable[[str], bytes] = field(default=lambda secret: refuse_webhook_secret(secret))


def refuse_webhook_secret(_secret: str) -> bytes:
    """The sealer without a key: a webhook secret is refused rather than stored in clear."""
    raise InvalidRequest(
        "webhook secrets cannot be stored: GT_GATEWAY_WEBHOOK_SECRET_KEYS is not set (docs/operations.md)"
    )
