"""What reading a tenant's settings needs from storage."""

from __future__ import annotations

from typing import Protocol

from services.scoring.domain.ingest_plan import StoredConfig


class ConfigStore(Protocol):
    """The configuration each tenant's CRM sent last, as stored by ingest."""

    async def stored_config(self, tenant_id: str) -> StoredConfig | None:
        """The stored configuration and its version; None before the CRM sent one. May block on the
        database; raises on failure."""
