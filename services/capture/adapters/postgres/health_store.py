"""`HealthStore` over asyncpg: the last published health per mailbox (table `capture.health_reports`)."""

from __future__ import annotations

from plumbing.db.pool import Pool
from services.capture.adapters.postgres.errors import translate_store_errors
from services.capture.domain.health import Health, HealthState, Published

PUBLISHED = "SELECT tenant_id, mailbox_key, rep_id, state, reason, since FROM health_reports"
SAVE = """
INSERT INTO health_reports (tenant_id, mailbox_key, rep_id, state, reason, since)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, mailbox_key) DO UPDATE
SET rep_id = EXCLUDED.rep_id, state = EXCLUDED.state, reason = EXCLUDED.reason, since = EXCLUDED.since
"""
DELETE = "DELETE FROM health_reports WHERE tenant_id = $1 AND mailbox_key = $2"


class PostgresHealthStore:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    @translate_store_errors
    async def published(self) -> list[Published]:
        rows = await self._pool.fetch(PUBLISHED)
        return [
            Published(
                r["tenant_id"], r["mailbox_key"], r["rep_id"], Health(HealthState(r["state"]), r["reason"]),
                r["since"],
            )
            for r in rows
        ]  # fmt: skip

    @translate_store_errors
    async def save(self, published: Published) -> None:
        await self._pool.execute(
            SAVE,
            published.tenant_id,
            published.mailbox_key,
            published.rep_id,
            published.health.state.value,
            published.health.reason,
            published.since,
        )

    @translate_store_errors
    async def delete(self, tenant_id: str, mailbox_key: str) -> None:
        await self._pool.execute(DELETE, tenant_id, mailbox_key)
