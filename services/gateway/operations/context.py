"""The gateway's dependencies, bundled for the operations, and the tenant-configuration cache."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Pool
from services.gateway.adapters.authenticator import Authenticator
from services.gateway.adapters.capture_client import CaptureClient
from services.gateway.adapters.read_cache import Cached, ReadCache
from services.gateway.adapters.score_view import ScoreView
from services.gateway.adapters.scoring_client import ScoringClient
from services.gateway.adapters.state_store import current_config
from services.gateway.domain.access import TeamDirectory
from services.gateway.domain.tenant_config import default_config, directory_of
from services.gateway.errors import InvalidRequest
from services.gateway.ports import EventPublisher


@dataclass(frozen=True)
class Limits:
    max_page_size: int = 500
    max_batch_events: int = 500
    idempotency_ttl_hours: int = 24
    feed_poll_interval_sec: float = 1.0

    def page_size(self, value: int, *, default: int = 50) -> int:
        if value == 0:
            return default
        if not 1 <= value <= self.max_page_size:
            raise InvalidRequest(f"page_size must be 1..{self.max_page_size}")
        return value


class ConfigCache:
    """Each tenant's current configuration, read from the gateway schema at most once per TTL.

    The writer (this process) invalidates on every change; other replicas see it within the TTL.
    """

    def __init__(self, pool: Pool, *, ttl_sec: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._pool = pool
        self._ttl = ttl_sec
        self._clock = clock
        self._entries: dict[str, tuple[crm_pb2.TenantConfig, TeamDirectory, float]] = {}

    async def config(self, tenant_id: str) -> crm_pb2.TenantConfig:
        return (await self._entry(tenant_id))[0]

    async def directory(self, tenant_id: str) -> TeamDirectory:
        return (await self._entry(tenant_id))[1]

    def invalidate(self, tenant_id: str) -> None:
        self._entries.pop(tenant_id, None)

    async def _entry(self, tenant_id: str) -> tuple[crm_pb2.TenantConfig, TeamDirectory, float]:
        now = self._clock()
        entry = self._entries.get(tenant_id)
        if entry is None or entry[2] <= now:
            config = await current_config(self._pool, tenant_id) or default_config()
            entry = (config, directory_of(config), now + self._ttl)
            self._entries[tenant_id] = entry
        return entry


@dataclass
class Gateway:
    """Everything an operation may use. Built once in `app.py`; owned by the running gateway."""

    pool: Pool
    scoring: ScoringClient
    capture: CaptureClient
    publisher: EventPublisher
    configs: ConfigCache
    authenticator: Authenticator
    pepper: bytes
    limits: Limits = field(default_factory=Limits)
    scores: ReadCache[Cached[scoring_pb2.RepScore]] = field(default_factory=lambda: ReadCache(ttl_sec=0))
    score_view: ScoreView | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
