"""`groundtruth erase REP`: delete a rep's data everywhere, after a confirmation."""

from __future__ import annotations

import argparse
from typing import Any

from services.cli.render.admin import erasure_lines
from services.cli.terminal import RAW, CliError, Terminal, add_gateway_options, print_json, with_client
from services.client.rest import RestClient


def _erase(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    question = (
        f"erase rep {args.rep_id}? This deletes their captured activities, scores and mailboxes "
        "and revokes their keys; it cannot be undone"
    )
    if not args.yes and not terminal.confirm(question):
        raise CliError("not confirmed; nothing erased (pass --yes to skip the question)")
    erasure = client.erase_rep(args.rep_id)
    if args.json:
        print_json(terminal, erasure)
    else:
        for line in erasure_lines(erasure):
            terminal.out.print(line, markup=False, highlight=False)
    return 0


def add_commands(commands: Any) -> None:
    erase = commands.add_parser(
        "erase",
        help="erase a rep everywhere (asks first)",
        description="Erase a rep: captured activities, aggregates and scores (tombstones are published),\n"
        "their mailboxes and their keys. Safe to repeat. Asks for confirmation unless --yes.\n\n"
        "examples: groundtruth erase rep-ann\n"
        "          groundtruth erase rep-ann --yes --json",
        formatter_class=RAW,
    )
    erase.add_argument("rep_id")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_gateway_options(erase)
    erase.set_defaults(handler=with_client(_erase))
