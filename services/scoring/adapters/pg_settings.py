"""`ConfigStore` on PostgreSQL: the configuration each tenant's CRM sent last."""

from __future__ import annotations

from plumbing.db.pool import Connection, Pool
from services.scoring.adapters.pg_rows import CONFIG_COLUMNS, stored_config_from_row
from services.scoring.domain.ingest_plan import StoredConfig


class PgConfigStore:
    """Reads on the pool (or one connection); see `ConfigStore`."""

    def __init__(self, db: Connection | Pool) -> None:
        self._db = db

    async def stored_config(self, tenant_id: str) -> StoredConfig | None:
        row = await self._db.fetchrow(
            f"SELECT {CONFIG_COLUMNS} FROM tenant_configs WHERE tenant_id = $1", tenant_id
        )
        return stored_config_from_row(row) if row is not None else None
