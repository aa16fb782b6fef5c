"""The `admin` command tree: bootstrap a tenant, and manage any tenant's keys without an API key.

For the operator on a host that holds the gateway's database credentials: before a tenant has its
first admin key, or after its last one is lost. Each command opens a small pool (after applying the
gateway's migrations), runs one use case of `operations/tenants.py`, prints the result and exits:
0 done, 1 failed (one line on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from plumbing.db.pool import Pool
from services.gateway.adapters.postgres_store import PostgresTenants
from services.gateway.admin.keys import migrated_pool
from services.gateway.domain.principal import Role
from services.gateway.errors import GatewayError
from services.gateway.operations import tenants
from services.gateway.ports import Tenants

PEPPER_ENV = "GT_GATEWAY_API_KEY_PEPPER"
PROG = "python -m services.gateway admin"
TIMEOUT_SEC = 60
_RAW = argparse.RawDescriptionHelpFormatter
_ENV_HELP = f"\n\nenvironment: DATABASE_URL (the gateway's PostgreSQL) and {PEPPER_ENV} (as the gateway's)"


DESCRIPTION = (
    "The operator's commands, straight on the gateway's database: create a tenant and its first admin\n"
    "key, and manage any tenant's keys when no admin key is left. Everything else goes through the\n"
    "API with an admin key (groundtruth; docs/cli.md).\n\n"
    "exit codes: 0 done, 1 failed (one line on stderr), 2 bad usage.\n\n"
    f"example: {PROG} create-tenant acme --name 'Acme Corp'" + _ENV_HELP
)


class AdminError(Exception):
    """A failure the operator can fix; printed as one line without a traceback."""


@dataclass(frozen=True)
class AdminSettings:
    """What the commands read from the environment, once."""

    database_url: str
    pepper: bytes

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AdminSettings:
        database_url = environ.get("DATABASE_URL", "")
        pepper = environ.get(PEPPER_ENV, "")
        if not database_url:
            raise AdminError("DATABASE_URL is not set (the PostgreSQL the gateway uses)")
        if len(pepper) < 16:
            raise AdminError(
                f"{PEPPER_ENV} is not set (at least 16 characters, the same value the gateway runs with)"
            )
        return cls(database_url=database_url, pepper=pepper.encode())


Command = Callable[[argparse.Namespace, Tenants, bytes], Awaitable[None]]


def add_commands(admin: argparse.ArgumentParser) -> None:
    """Build the command tree under the `admin` parser."""
    commands = admin.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")
    create = _command(
        commands,
        "create-tenant",
        _create_tenant,
        "create a tenant and print its first admin key",
        f"Create a tenant and its first admin key. The key is printed once; store it.\n\n"
        f"example: {PROG} create-tenant acme --name 'Acme Corp'",
    )
    create.add_argument("tenant_id", help="1-64 characters of A-Z a-z 0-9 _ . -")
    create.add_argument("--name", required=True, help="display name")
    _command(commands, "list-tenants", _list_tenants, "list tenants", f"example: {PROG} list-tenants")
    issue = _command(
        commands,
        "issue-key",
        _issue_key,
        "issue an API key of a tenant and print it",
        "Issue an API key of any role. It is printed once and stored only hashed.\n\n"
        f"examples: {PROG} issue-key acme --role admin --name 'break glass'\n"
        f"          {PROG} issue-key acme --role plugin --name salesforce",
    )
    issue.add_argument("tenant_id", help="the tenant's id")
    issue.add_argument("--role", required=True, choices=[r.value for r in Role])
    issue.add_argument("--rep-id", help="required for rep and manager keys")
    issue.add_argument("--name", required=True, help="what the key is for")
    listing = _command(
        commands,
        "list-keys",
        _list_keys,
        "list a tenant's keys",
        f"List a tenant's keys (never their secrets).\n\nexample: {PROG} list-keys acme",
    )
    listing.add_argument("tenant_id", help="the tenant's id")
    revoke = _command(
        commands,
        "revoke-key",
        _revoke_key,
        "revoke a key of a tenant",
        f"Revoke a key; it stops working within seconds.\n\nexample: {PROG} revoke-key acme abcdefghijklmnop",
    )
    revoke.add_argument("tenant_id", help="the tenant's id")
    revoke.add_argument("key_id", help="the 16 characters after gt_ (see list-keys)")


def run(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> int:
    """Run the parsed command; returns the exit code."""
    try:
        settings = AdminSettings.from_environ(environ)
        asyncio.run(_bounded(_on_database(settings, args)))
    except (AdminError, GatewayError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        print(f"error: PostgreSQL refused or cannot be reached: {exc}", file=sys.stderr)
        return 1
    return 0


def _command(
    commands: Any, name: str, action: Command, summary: str, description: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=description + _ENV_HELP, formatter_class=_RAW
    )
    parser.set_defaults(action=action)
    return parser


async def _bounded(command: Awaitable[None]) -> None:
    try:
        await asyncio.wait_for(command, timeout=TIMEOUT_SEC)
    except TimeoutError as exc:
        raise AdminError(f"timed out after {TIMEOUT_SEC} s talking to PostgreSQL") from exc


async def _on_database(settings: AdminSettings, args: argparse.Namespace) -> None:
    pool: Pool
    async with migrated_pool(settings.database_url) as pool:
        action: Command = args.action
        await action(args, PostgresTenants(pool), settings.pepper)


async def _create_tenant(args: argparse.Namespace, register: Tenants, pepper: bytes) -> None:
    created = await tenants.create_tenant(register, pepper=pepper, tenant_id=args.tenant_id, name=args.name)
    print(f"tenant {args.tenant_id} created")
    print(f"admin key (shown once, store it now): {created.plaintext}")


async def _list_tenants(_: argparse.Namespace, register: Tenants, _pepper: bytes) -> None:
    for tenant in await tenants.list_tenants(register):
        print(f"{tenant.tenant_id}\t{tenant.name}\t{tenant.created_at.isoformat(timespec='seconds')}")


async def _issue_key(args: argparse.Namespace, register: Tenants, pepper: bytes) -> None:
    created = await tenants.issue_tenant_key(
        register,
        pepper=pepper,
        tenant_id=args.tenant_id,
        name=args.name,
        role=Role(args.role),
        rep_id=args.rep_id,
    )
    print(f"{args.role} key {created.record.key_id} created")
    print(f"key (shown once, store it now): {created.plaintext}")


async def _list_keys(args: argparse.Namespace, register: Tenants, _pepper: bytes) -> None:
    for k in await tenants.list_tenant_keys(register, tenant_id=args.tenant_id):
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
        used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
        print(f"{k.key_id}\t{k.role}\t{k.rep_id or '-'}\t{k.name}\t{state}\tlast used {used}")


async def _revoke_key(args: argparse.Namespace, register: Tenants, _pepper: bytes) -> None:
    await tenants.revoke_tenant_key(register, tenant_id=args.tenant_id, key_id=args.key_id)
    print(f"key {args.key_id} revoked")
