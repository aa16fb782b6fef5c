"""What `make run` needs from the gateway: a pepper that survives restarts and the demo's keys."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from plumbing.db.migrations import migrate
from plumbing.db.pool import create_pool
from services.gateway.adapters import key_store
from services.gateway.admin import keys
from services.gateway.app import MIGRATIONS, SCHEMA
from services.gateway.domain.principal import Role

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


@dataclass(frozen=True)
class DemoKey:
    """A key `make run` hands out: who it acts for and the secret (shown once, in the banner)."""

    role: Role
    rep_id: str | None
    secret: str


async def demo_admin_key(database_url: str, pepper: str, *, tenant_id: str = "demo") -> str:
    """Create the demo tenant if needed and a fresh admin key for it, revoking the previous run's."""
    (admin,) = await demo_keys(database_url, pepper, [(Role.ADMIN, None)], tenant_id=tenant_id)
    return admin.secret


async def demo_keys(
    database_url: str,
    pepper: str,
    wanted: list[tuple[Role, str | None]],
    *,
    tenant_id: str = "demo",
) -> list[DemoKey]:
    """Create the demo tenant if needed and a fresh key of each (role, rep) asked for; the keys of
    the previous run (same name) are revoked, so only the banner's current keys work."""
    await migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await create_pool(database_url, schema=SCHEMA, min_size=1, max_size=2)
    try:
        await key_store.create_tenant(pool, tenant_id=tenant_id, name="Demo")
        names = {_key_name(role, rep_id) for role, rep_id in wanted}
        for old in await key_store.list_keys(pool, tenant_id):
            if old.name in names and old.revoked_at is None:
                await key_store.revoke_key(pool, tenant_id=tenant_id, key_id=old.key_id)
        issued = []
        for role, rep_id in wanted:
            created = await keys.issue_key(
                pool,
                pepper=pepper.encode(),
                tenant_id=tenant_id,
                name=_key_name(role, rep_id),
                role=role,
                rep_id=rep_id,
                created_by="make run",
            )
            issued.append(DemoKey(role, rep_id, created.plaintext))
        return issued
    finally:
        await pool.close()


def _key_name(role: Role, rep_id: str | None) -> str:
    return DEMO_KEY_NAME if role is Role.ADMIN else f"{DEMO_KEY_NAME} {role.value} {rep_id}"
