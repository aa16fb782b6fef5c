"""`groundtruth keys list|create|revoke`: API keys over the REST API with an admin key, or straight
on the database with --tenant (the operator's way in before any admin key exists, or when none is left)."""

from __future__ import annotations

import argparse
from typing import Any

from services.cli.render.admin import created_key_lines, keys_table
from services.cli.terminal import (
    RAW,
    ClientHandler,
    CliError,
    Handler,
    Terminal,
    add_gateway_options,
    print_json,
    with_client,
)
from services.client.rest import RestClient
from services.gateway.cli import run_direct_key_command
from services.gateway.domain.principal import Role

_DIRECT = (
    "\n\nWith --tenant the command works straight on the gateway's database instead of the API\n"
    "(needs DATABASE_URL and GT_GATEWAY_API_KEY_PEPPER; no API key)."
)


def _direct_or(api: ClientHandler) -> Handler:
    def handler(args: argparse.Namespace, terminal: Terminal) -> int:
        if args.tenant:
            if args.json or args.url or args.key:
                raise CliError("--tenant works on the database; --json, --url and --key go with the API")
            result: int = run_direct_key_command(args)
            return result
        code: int = with_client(api)(args, terminal)
        return code

    return handler


def _list(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    answer = client.list_keys()
    if args.json:
        print_json(terminal, answer)
    else:
        terminal.out.print(keys_table(answer["keys"]))
    return 0


def _create(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    created = client.create_key(name=args.name, role=args.role, rep_id=args.rep_id)
    if args.json:
        print_json(terminal, created)
    else:
        for line in created_key_lines(created):
            terminal.out.print(line, markup=False, highlight=False, soft_wrap=True)
    return 0


def _revoke(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    revoked = client.revoke_key(args.key_id)
    if args.json:
        print_json(terminal, revoked)
    else:
        terminal.out.print(f"key {revoked['key_id']} revoked", markup=False, highlight=False)
    return 0


def add_commands(commands: Any) -> None:
    group = commands.add_parser(
        "keys",
        help="list, create and revoke API keys",
        description="Manage the tenant's API keys (admin key)." + _DIRECT + "\n\n"
        "example: groundtruth keys list",
        formatter_class=RAW,
    )
    sub = group.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")

    listing = sub.add_parser(
        "list",
        help="list the tenant's keys (never their secrets)",
        description="List every key of the tenant, revoked ones included." + _DIRECT + "\n\n"
        "examples: groundtruth keys list\n"
        "          groundtruth keys list --tenant acme   # on the database",
        formatter_class=RAW,
    )
    create = sub.add_parser(
        "create",
        help="issue a key and print it once",
        description="Issue an API key. It is printed once and stored only hashed." + _DIRECT + "\n\n"
        "examples: groundtruth keys create --role plugin --name salesforce\n"
        "          groundtruth keys create --role rep --rep-id ann@acme.example --name 'Ann phone'\n"
        "          groundtruth keys create --tenant acme --role admin --name 'break glass'",
        formatter_class=RAW,
    )
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--rep-id", help="required for rep and manager keys")
    create.add_argument("--name", required=True, help="what the key is for")
    revoke = sub.add_parser(
        "revoke",
        help="revoke a key",
        description="Revoke a key; it stops working within seconds." + _DIRECT + "\n\n"
        "example: groundtruth keys revoke abcdefghijklmnop",
        formatter_class=RAW,
    )
    revoke.add_argument("key_id", help="the 16 characters after gt_ (see 'keys list')")
    for parser, api in ((listing, _list), (create, _create), (revoke, _revoke)):
        parser.add_argument("--tenant", help="work on the database for this tenant instead of the API")
        add_gateway_options(parser)
        parser.set_defaults(handler=_direct_or(api))
