"""What `make run` needs from the gateway: a pepper that survives restarts and a demo admin key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from plumbing.db.migrations import migrate
from plumbing.db.pool import create_pool
from services.gateway.adapters import key_store
from services.gateway.app import MIGRATIONS, SCHEMA
from services.gateway.domain.principal import Role
from services.gateway.operations import keys

DEMO_KEY_NAME = "make run"


def ensure_pepper(run_dir: Path) -> str:
    """The API-key pepper kept in the run directory (created once, readable only by its owner)."""
    path = run_dir / "gateway-api-key-pepper"
    if not path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


async def demo_admin_key(database_url: str, pepper: str, *, tenant_id: str = "demo") -> str:
    """Create the demo tenant if needed and a fresh admin key for it, revoking the previous run's."""
    await migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(database_url, schema=SCHEMA, min_size=1, max_size=2)
    try:
        await key_store.create_tenant(pool, tenant_id=tenant_id, name="Demo")
        for old in await key_store.list_keys(pool, tenant_id):
            if old.name == DEMO_KEY_NAME and old.revoked_at is None:
                await key_store.revoke_key(pool, tenant_id=tenant_id, key_id=old.key_id)
        created = await keys.issue_key(
            pool,
            pepper=pepper.encode(),
            tenant_id=tenant_id,
            name=DEMO_KEY_NAME,
            role=Role.ADMIN,
            rep_id=None,
            created_by="make run",
        )
        return created.plaintext
    finally:
        await pool.close()
