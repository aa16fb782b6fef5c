"""Each tenant's current configuration, read from the gateway schema at most once per TTL
(`ports.TenantConfigs`). Access decisions read the tenant's teams on nearly every request; the
configuration changes rarely and only through the gateway."""

from __future__ import annotations

import time
from collections.abc import Callable

from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain.access import TeamDirectory
from services.gateway.domain.tenant_config import default_config, directory_of
from services.gateway.ports import PerTenant, TenantStore

_Entry = tuple[crm_pb2.TenantConfig, TeamDirectory, float]


class ConfigCache:
    """The writer (this process) invalidates on every change; other replicas see it within the TTL."""

    def __init__(
        self, store: PerTenant[TenantStore], *, ttl_sec: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._ttl = ttl_sec
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    def for_tenant(self, tenant_id: str) -> TenantConfigView:
        return TenantConfigView(self, tenant_id)

    async def entry(self, tenant_id: str) -> _Entry:
        now = self._clock()
        entry = self._entries.get(tenant_id)
        if entry is None or entry[2] <= now:
            config = await self._store.for_tenant(tenant_id).current_config() or default_config()
            entry = (config, directory_of(config), now + self._ttl)
            self._entries[tenant_id] = entry
        return entry

    def invalidate(self, tenant_id: str) -> None:
        self._entries.pop(tenant_id, None)


class TenantConfigView:
    """`ports.TenantConfigs`: the cache, for one tenant."""

    __slots__ = ("_cache", "_tenant_id")

    def __init__(self, cache: ConfigCache, tenant_id: str) -> None:
        self._cache = cache
        self._tenant_id = tenant_id

    async def config(self) -> crm_pb2.TenantConfig:
        return (await self._cache.entry(self._tenant_id))[0]

    async def directory(self) -> TeamDirectory:
        return (await self._cache.entry(self._tenant_id))[1]

    def invalidate(self) -> None:
        self._cache.invalidate(self._tenant_id)
