"""Each tenant's settings, built from its stored configuration once per configuration version and
shared by every reader in the process (ingest, rescoring, queries)."""

from __future__ import annotations

from groundtruth.crm.v1 import crm_pb2
from services.scoring.domain.ingest_plan import StoredConfig
from services.scoring.domain.records import Version
from services.scoring.domain.tenant_settings import TenantSettings, effective_config, settings_from_config
from services.scoring.ports import ConfigStore


class SettingsCache:
    """The settings of each tenant's stored configuration version. Building them from a large tenant's
    configuration (thousands of teams) took ~20 ms per batch. A version never changes content, so an
    entry is replaced only when the stored version moves. Pure and synchronous; not thread-safe (one
    event loop uses it)."""

    def __init__(self) -> None:
        self._settings: dict[str, tuple[Version, TenantSettings]] = {}

    def settings(self, tenant_id: str, stored: StoredConfig | None) -> TenantSettings:
        """The settings of `stored` (the defaults when the tenant's CRM sent no configuration yet)."""
        if stored is None:
            return settings_from_config(tenant_id, None)
        cached = self._settings.get(tenant_id)
        if cached is not None and cached[0] == stored.version:
            return cached[1]
        settings = settings_from_config(tenant_id, stored.update.config)
        self._settings[tenant_id] = (stored.version, settings)
        return settings


class SettingsReader:
    """Reads a tenant's stored configuration and answers its settings through a shared cache. Each
    call reads the store (a configuration stored a moment ago takes effect at once); it may block on
    the database and raises on failure."""

    def __init__(self, configs: ConfigStore, cache: SettingsCache) -> None:
        self._configs = configs
        self._cache = cache

    async def load(self, tenant_id: str) -> TenantSettings:
        return self._cache.settings(tenant_id, await self._configs.stored_config(tenant_id))

    async def effective_config(self, tenant_id: str) -> crm_pb2.TenantConfig:
        """The latest configuration the CRM sent, with every default filled in (version 0: none yet)."""
        stored = await self._configs.stored_config(tenant_id)
        return effective_config(
            self._cache.settings(tenant_id, stored), stored.update.config if stored else None
        )
