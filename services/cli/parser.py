"""The whole `groundtruth` command tree, assembled in one place."""

from __future__ import annotations

import argparse

from services.cli import connections, erase, keys, reports, sync
from services.cli.terminal import DEFAULT_URL, KEY_ENV, RAW, URL_ENV

DESCRIPTION = f"""\
Groundtruth: administer a tenant from the terminal (`make run` starts the platform).

Commands that talk to the gateway take --url (or ${URL_ENV}, default {DEFAULT_URL}) and
--key (or ${KEY_ENV}); most print a table, or the API's JSON with --json. Every command goes through
the gateway's REST API; a tenant's first admin key is issued on the gateway's host with
`python -m services.gateway admin create-tenant` (docs/cli.md).

exit codes: 0 done, 1 failed (one-line message on stderr), 2 bad usage, 3 a mailbox is in error
(backfill; sync status --fail-on-error) or a backfill did not finish in time, 130 interrupted.

examples: export {URL_ENV}=https://gateway.acme.example {KEY_ENV}=gt_...
          groundtruth connections add-google --id gws --key-file sa.json --domain acme.example
          groundtruth mailboxes import --connection gws mailboxes.csv
          groundtruth backfill --connection gws
          groundtruth scores
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="groundtruth", description=DESCRIPTION, formatter_class=RAW)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    keys.add_commands(commands)
    connections.add_commands(commands)
    sync.add_commands(commands)
    reports.add_commands(commands)
    erase.add_commands(commands)
    return parser
