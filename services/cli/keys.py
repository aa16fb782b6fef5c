"""`groundtruth keys list|create|revoke`: the tenant's API keys over the REST API, with an admin key.

The first admin key of a tenant (and a new one when none is left) is the operator's, on the gateway's
host: `python -m services.gateway admin create-tenant|issue-key` (docs/cli.md)."""

from __future__ import annotations

import argparse
from typing import Any

from services.cli.render.admin import created_key_lines, keys_table
from services.cli.terminal import RAW, Terminal, add_gateway_options, print_json, with_client
from services.client.rest import RestClient

ROLES = ("admin", "manager", "rep", "plugin")
_BOOTSTRAP = (
    "\n\nThe first admin key of a tenant is issued on the gateway's host:\n"
    "  python -m services.gateway admin create-tenant acme --name 'Acme Corp'"
)


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
        description="Manage the tenant's API keys (admin key)." + _BOOTSTRAP + "\n\n"
        "example: groundtruth keys list",
        formatter_class=RAW,
    )
    sub = group.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")

    listing = sub.add_parser(
        "list",
        help="list the tenant's keys (never their secrets)",
        description="List every key of the tenant, revoked ones included.\n\n"
        "examples: groundtruth keys list\n"
        "          groundtruth keys list --json",
        formatter_class=RAW,
    )
    create = sub.add_parser(
        "create",
        help="issue a key and print it once",
        description="Issue an API key. It is printed once and stored only hashed.\n\n"
        "examples: groundtruth keys create --role plugin --name salesforce\n"
        "          groundtruth keys create --role rep --rep-id ann@acme.example --name 'Ann phone'",
        formatter_class=RAW,
    )
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--rep-id", help="required for rep and manager keys")
    create.add_argument("--name", required=True, help="what the key is for")
    revoke = sub.add_parser(
        "revoke",
        help="revoke a key",
        description="Revoke a key; it stops working within seconds.\n\n"
        "example: groundtruth keys revoke abcdefghijklmnop",
        formatter_class=RAW,
    )
    revoke.add_argument("key_id", help="the 16 characters after gt_ (see 'keys list')")
    for parser, api in ((listing, _list), (create, _create), (revoke, _revoke)):
        add_gateway_options(parser)
        parser.set_defaults(handler=with_client(api))
