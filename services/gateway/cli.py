"""`groundtruth tenant ...` and `groundtruth keys ...`: bootstrap tenants and manage API keys.

They talk to the gateway's schema directly (DATABASE_URL) and hash keys with the same pepper as the
gateway (GT_GATEWAY_API_KEY_PEPPER), applying the gateway's migrations first so a tenant can be
created before the gateway ever ran.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from plumbing.db.migrations import migrate
from plumbing.db.pool import Pool, create_pool
from services.gateway.adapters import key_store
from services.gateway.domain import api_keys
from services.gateway.domain.principal import Role
from services.gateway.errors import GatewayError
from services.gateway.operations import keys

SCHEMA = "gateway"
PEPPER_ENV = "GT_GATEWAY_API_KEY_PEPPER"
_RAW = argparse.RawDescriptionHelpFormatter
_ENV_HELP = f"\nenvironment: DATABASE_URL (the platform's PostgreSQL) and {PEPPER_ENV} (as the gateway's)"


class CliError(Exception):
    """A failure the user can fix; printed without a traceback."""


def add_commands(commands: Any) -> None:
    """Register the `tenant` and `keys` command groups on the top-level subparsers."""
    add_tenant_commands(commands)
    _add_key_commands(commands)


def add_tenant_commands(commands: Any) -> None:
    """Register only the `tenant` group (the `groundtruth` CLI brings its own `keys` group, which
    calls `run_direct_key_command` when given --tenant)."""
    tenant = commands.add_parser(
        "tenant",
        help="create and list tenants",
        description="Create and list tenants.\n\nexample: groundtruth tenant create acme --name 'Acme Corp'"
        + _ENV_HELP,
        formatter_class=_RAW,
    )
    tenant_commands = tenant.add_subparsers(dest="tenant_command", required=True)
    create = tenant_commands.add_parser(
        "create",
        help="create a tenant and print its first admin key",
        description="Create a tenant and its first admin key. The key is printed once; store it.\n\n"
        "example: groundtruth tenant create acme --name 'Acme Corp'" + _ENV_HELP,
        formatter_class=_RAW,
    )
    create.add_argument("tenant_id", help="1-64 characters of A-Z a-z 0-9 _ . -")
    create.add_argument("--name", required=True, help="display name")
    create.set_defaults(func=lambda a: _run(_tenant_create(a)))
    listing = tenant_commands.add_parser(
        "list",
        help="list tenants",
        description="List every tenant.\n\nexample: groundtruth tenant list" + _ENV_HELP,
        formatter_class=_RAW,
    )
    listing.set_defaults(func=lambda a: _run(_tenant_list(a)))


def _add_key_commands(commands: Any) -> None:
    key_group = commands.add_parser(
        "keys",
        help="create, list and revoke API keys",
        description="Manage API keys." + _ENV_HELP,
        formatter_class=_RAW,
    )
    key_commands = key_group.add_subparsers(dest="keys_command", required=True)
    key_create = key_commands.add_parser(
        "create",
        help="issue an API key and print it",
        description="Issue an API key. It is printed once and stored only hashed.\n\n"
        "examples: groundtruth keys create --tenant acme --role plugin --name salesforce\n"
        "          groundtruth keys create --tenant acme --role rep --rep-id ann@acme.example \\\n"
        "              --name 'Ann phone'" + _ENV_HELP,
        formatter_class=_RAW,
    )
    key_create.add_argument("--tenant", required=True)
    key_create.add_argument("--role", required=True, choices=[r.value for r in Role])
    key_create.add_argument("--rep-id", help="required for rep and manager keys")
    key_create.add_argument("--name", required=True, help="what the key is for")
    key_create.set_defaults(func=lambda a: _run(_keys_create(a)))
    key_list = key_commands.add_parser(
        "list",
        help="list a tenant's keys",
        description="List a tenant's keys (never their secrets).\n\n"
        "example: groundtruth keys list --tenant acme" + _ENV_HELP,
        formatter_class=_RAW,
    )
    key_list.add_argument("--tenant", required=True)
    key_list.set_defaults(func=lambda a: _run(_keys_list(a)))
    revoke = key_commands.add_parser(
        "revoke",
        help="revoke a key",
        description="Revoke a key; it stops working within seconds.\n\n"
        "example: groundtruth keys revoke --tenant acme abcdefghijklmnop" + _ENV_HELP,
        formatter_class=_RAW,
    )
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("key_id", help="the 16 characters after gt_ (see 'keys list')")
    revoke.set_defaults(func=lambda a: _run(_keys_revoke(a)))


def run_direct_key_command(args: argparse.Namespace) -> int:
    """`keys create|list|revoke` straight on the database for `args.tenant` (bootstrap, or when no
    admin key is left); `args` carries the same fields as this module's `keys` parsers."""
    commands = {"create": _keys_create, "list": _keys_list, "revoke": _keys_revoke}
    return _run(commands[args.keys_command](args))


def _run(command: Awaitable[None]) -> int:
    try:
        asyncio.run(_bounded(command))
    except (CliError, GatewayError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        print(f"error: PostgreSQL refused or cannot be reached: {exc}", file=sys.stderr)
        return 1
    return 0


async def _bounded(command: Awaitable[None]) -> None:
    try:
        await asyncio.wait_for(command, timeout=60)
    except TimeoutError as exc:
        raise CliError("timed out after 60 s talking to PostgreSQL") from exc


def _environment() -> tuple[str, bytes]:
    dsn = os.environ.get("DATABASE_URL", "")
    pepper = os.environ.get(PEPPER_ENV, "")
    if not dsn:
        raise CliError("DATABASE_URL is not set (the PostgreSQL the gateway uses)")
    if len(pepper) < 16:
        raise CliError(
            f"{PEPPER_ENV} is not set (at least 16 characters, the same value the gateway runs with)"
        )
    return dsn, pepper.encode()


async def _with_pool(action: Callable[[Pool, bytes], Awaitable[None]]) -> None:
    dsn, pepper = _environment()
    await migrate(dsn, schema=SCHEMA, directory=_migrations())
    pool = await create_pool(dsn, schema=SCHEMA, min_size=1, max_size=2)
    try:
        await action(pool, pepper)
    finally:
        await pool.close()


def _migrations() -> Any:
    from services.gateway.app import MIGRATIONS

    return MIGRATIONS


async def _tenant_create(args: argparse.Namespace) -> None:
    async def action(pool: Pool, pepper: bytes) -> None:
        created = await keys.create_tenant(pool, pepper=pepper, tenant_id=args.tenant_id, name=args.name)
        print(f"tenant {args.tenant_id} created")
        print(f"admin key (shown once, store it now): {created.plaintext}")

    await _with_pool(action)


async def _tenant_list(_: argparse.Namespace) -> None:
    async def action(pool: Pool, _pepper: bytes) -> None:
        for tenant in await key_store.list_tenants(pool):
            print(f"{tenant.tenant_id}\t{tenant.name}\t{tenant.created_at.isoformat(timespec='seconds')}")

    await _with_pool(action)


async def _keys_create(args: argparse.Namespace) -> None:
    async def action(pool: Pool, pepper: bytes) -> None:
        if not await key_store.tenant_exists(pool, args.tenant):
            raise CliError(f"no tenant {args.tenant!r}; create it with 'groundtruth tenant create'")
        created = await keys.issue_key(
            pool,
            pepper=pepper,
            tenant_id=args.tenant,
            name=args.name,
            role=Role(args.role),
            rep_id=args.rep_id,
            created_by="cli",
        )
        print(f"{args.role} key {created.record.key_id} created")
        print(f"key (shown once, store it now): {created.plaintext}")

    await _with_pool(action)


async def _keys_list(args: argparse.Namespace) -> None:
    async def action(pool: Pool, _pepper: bytes) -> None:
        if not await key_store.tenant_exists(pool, args.tenant):
            raise CliError(f"no tenant {args.tenant!r}")
        for k in await key_store.list_keys(pool, args.tenant):
            state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
            used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
            print(f"{k.key_id}\t{k.role}\t{k.rep_id or '-'}\t{k.name}\t{state}\tlast used {used}")

    await _with_pool(action)


async def _keys_revoke(args: argparse.Namespace) -> None:
    async def action(pool: Pool, _pepper: bytes) -> None:
        if not api_keys.is_key_id(args.key_id):
            raise CliError(f"{args.key_id!r} is not a key id (16 characters a-z, 2-7; see 'keys list')")
        revoked = await key_store.revoke_key(pool, tenant_id=args.tenant, key_id=args.key_id)
        if revoked is None:
            raise CliError(f"tenant {args.tenant!r} has no key {args.key_id!r}")
        print(f"key {args.key_id} revoked")

    await _with_pool(action)
