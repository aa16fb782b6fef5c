"""SQL for tenant configuration versions, feed acks and idempotency records (schema `gateway`); the
caller owns transactions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from groundtruth.crm.v1 import crm_pb2
from plumbing.db.pool import Connection, Pool
from services.gateway.domain.idempotency import Claim, ClaimResult, StoredAnswer

SELECT_CURRENT_CONFIG = """
SELECT config FROM tenant_configs WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1
"""
# The configuration in force at the end of a day, UTC (the latest version created up to then).
SELECT_CONFIG_AS_OF = """
SELECT config FROM tenant_configs
WHERE tenant_id = $1 AND created_at < (($2::date + 1)::timestamp AT TIME ZONE 'UTC')
ORDER BY version DESC LIMIT 1
"""
# The versions stored after a day (the newest `$3`), with the UTC day each was stored on.
SELECT_CONFIGS_AFTER = """
SELECT config, (created_at AT TIME ZONE 'UTC')::date AS stored_on FROM tenant_configs
WHERE tenant_id = $1 AND created_at >= (($2::date + 1)::timestamp AT TIME ZONE 'UTC')
ORDER BY version DESC LIMIT $3
"""
INSERT_CONFIG = """
INSERT INTO tenant_configs (tenant_id, version, config, created_by) VALUES ($1, $2, $3, $4)
"""
SELECT_ACK = "SELECT acked_sequence FROM feed_acks WHERE tenant_id = $1 AND subscription = $2"
# Acks only move forward: a late or repeated ack never rewinds a subscription.
UPSERT_ACK = """
INSERT INTO feed_acks (tenant_id, subscription, acked_sequence) VALUES ($1, $2, $3)
ON CONFLICT (tenant_id, subscription) DO UPDATE
SET acked_sequence = greatest(feed_acks.acked_sequence, EXCLUDED.acked_sequence), updated_at = now()
RETURNING acked_sequence
"""
# Claim the key; an expired record is replaced as if it never existed, and so is an unfinished claim
# of the same request whose lease ran out: the request that made it never completed nor released it
# (its process died, or the database went away before the answer was stored). Taking it over is safe
# because the work is idempotent (CRM event ids derive from their content).
CLAIM_IDEMPOTENCY_KEY = """
INSERT INTO idempotency_keys (tenant_id, operation, idempotency_key, fingerprint)
VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, operation, idempotency_key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint, status_code = NULL, response = NULL, created_at = now()
WHERE idempotency_keys.created_at < now() - make_interval(hours => $5)
   OR (idempotency_keys.status_code IS NULL
       AND idempotency_keys.fingerprint = EXCLUDED.fingerprint
       AND idempotency_keys.created_at < now() - make_interval(secs => $6))
RETURNING true
"""
SELECT_IDEMPOTENCY_KEY = """
SELECT fingerprint, status_code, response FROM idempotency_keys
WHERE tenant_id = $1 AND operation = $2 AND idempotency_key = $3
"""
COMPLETE_IDEMPOTENCY_KEY = """
UPDATE idempotency_keys SET status_code = $4, response = $5::jsonb
WHERE tenant_id = $1 AND operation = $2 AND idempotency_key = $3
"""
RELEASE_IDEMPOTENCY_KEY = """
DELETE FROM idempotency_keys
WHERE tenant_id = $1 AND operation = $2 AND idempotency_key = $3 AND status_code IS NULL
"""
PURGE_IDEMPOTENCY_KEYS = "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)"


async def current_config(conn: Connection | Pool, tenant_id: str) -> crm_pb2.TenantConfig | None:
    payload = await conn.fetchval(SELECT_CURRENT_CONFIG, tenant_id)
    return crm_pb2.TenantConfig.FromString(payload) if payload is not None else None


async def config_as_of(conn: Connection | Pool, tenant_id: str, day: date) -> crm_pb2.TenantConfig | None:
    payload = await conn.fetchval(SELECT_CONFIG_AS_OF, tenant_id, day)
    return crm_pb2.TenantConfig.FromString(payload) if payload is not None else None


async def configs_after(
    conn: Connection | Pool, tenant_id: str, day: date, *, limit: int
) -> list[tuple[crm_pb2.TenantConfig, date]]:
    """The newest `limit` versions stored after the end of `day`, oldest first, with their UTC day."""
    rows = await conn.fetch(SELECT_CONFIGS_AFTER, tenant_id, day, limit)
    return [(crm_pb2.TenantConfig.FromString(r["config"]), r["stored_on"]) for r in reversed(rows)]


async def insert_config(
    conn: Connection, *, tenant_id: str, config: crm_pb2.TenantConfig, created_by: str
) -> None:
    await conn.execute(INSERT_CONFIG, tenant_id, config.version, config.SerializeToString(), created_by)


async def acked_sequence(conn: Connection | Pool, *, tenant_id: str, subscription: str) -> int:
    value = await conn.fetchval(SELECT_ACK, tenant_id, subscription)
    return int(value) if value is not None else 0


async def ack(conn: Connection | Pool, *, tenant_id: str, subscription: str, sequence: int) -> int:
    """Store the ack; returns the subscription's position afterwards (never lower than before)."""
    return int(await conn.fetchval(UPSERT_ACK, tenant_id, subscription, sequence))


@dataclass(frozen=True)
class IdempotencyScope:
    tenant_id: str
    operation: str
    key: str


async def claim_idempotency_key(
    pool: Pool, scope: IdempotencyScope, *, fingerprint: bytes, ttl_hours: int, lease_sec: float
) -> ClaimResult:
    args = (scope.tenant_id, scope.operation, scope.key)
    if await pool.fetchval(CLAIM_IDEMPOTENCY_KEY, *args, fingerprint, ttl_hours, lease_sec):
        return ClaimResult(Claim.NEW)
    row = await pool.fetchrow(SELECT_IDEMPOTENCY_KEY, *args)
    if row is None:  # released between our two statements: try once more from the start
        if await pool.fetchval(CLAIM_IDEMPOTENCY_KEY, *args, fingerprint, ttl_hours, lease_sec):
            return ClaimResult(Claim.NEW)
        return ClaimResult(Claim.IN_FLIGHT)
    if bytes(row["fingerprint"]) != fingerprint:
        return ClaimResult(Claim.MISMATCH)
    if row["status_code"] is None:
        return ClaimResult(Claim.IN_FLIGHT)
    body: dict[str, Any] = json.loads(row["response"])
    return ClaimResult(Claim.REPLAY, StoredAnswer(status_code=int(row["status_code"]), body=body))


async def complete_idempotency_key(pool: Pool, scope: IdempotencyScope, answer: StoredAnswer) -> None:
    await pool.execute(
        COMPLETE_IDEMPOTENCY_KEY,
        scope.tenant_id,
        scope.operation,
        scope.key,
        answer.status_code,
        json.dumps(answer.body),
    )


async def release_idempotency_key(pool: Pool, scope: IdempotencyScope) -> None:
    await pool.execute(RELEASE_IDEMPOTENCY_KEY, scope.tenant_id, scope.operation, scope.key)


async def purge_idempotency_keys(pool: Pool, *, ttl_hours: int) -> None:
    await pool.execute(PURGE_IDEMPOTENCY_KEYS, ttl_hours)
