"""The tenant's stored configuration, as settings."""

from __future__ import annotations

from groundtruth.crm.v1 import crm_pb2
from plumbing.db.pool import Connection, Pool
from services.scoring.domain.tenant_settings import TenantSettings, settings_from_config


async def stored_config(conn: Connection | Pool, tenant_id: str) -> crm_pb2.TenantConfig | None:
    payload = await conn.fetchval("SELECT config FROM tenant_configs WHERE tenant_id = $1", tenant_id)
    return crm_pb2.TenantConfig.FromString(payload) if payload is not None else None


async def load_settings(conn: Connection | Pool, tenant_id: str) -> TenantSettings:
    return settings_from_config(tenant_id, await stored_config(conn, tenant_id))
