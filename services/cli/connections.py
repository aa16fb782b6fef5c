"""`groundtruth connections ...` and `groundtruth mailboxes ...`: what capture reads, over the REST API."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import Any

from services.cli import inputs
from services.cli.render.admin import connection_line, connections_table, status_summary, status_table
from services.cli.terminal import (
    RAW,
    ClientHandler,
    CliError,
    Terminal,
    add_gateway_options,
    print_json,
    with_client,
)
from services.client.rest import RestClient, iter_batches

SECRET_ENV = "GT_CLIENT_SECRET"


# --- connections -------------------------------------------------------------------------------------


def _list_connections(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    answer = client.list_connections()
    if args.json:
        print_json(terminal, answer)
    else:
        terminal.out.print(connections_table(answer.get("connections") or []))
    return 0


def _microsoft_credential(args: argparse.Namespace) -> tuple[str | None, dict[str, str] | None]:
    if args.certificate_file:
        certificate = inputs.read_text(args.certificate_file, what="certificate file")
        key = (
            inputs.read_text(args.private_key_file, what="private key file")
            if args.private_key_file
            else certificate
        )
        return None, inputs.certificate_credential(certificate, key, source=args.certificate_file)
    if args.private_key_file:
        raise CliError("--private-key-file goes with --certificate-file")
    if args.client_secret_file:
        secret = inputs.read_text(args.client_secret_file, what="client secret file").strip()
    else:
        secret = os.environ.get(SECRET_ENV, "").strip()
    if not secret:
        raise CliError(
            f"give the app's credential: --client-secret-file FILE ('-' reads standard input), "
            f"${SECRET_ENV}, or --certificate-file"
        )
    return secret, None


def _add_microsoft(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    secret, certificate = _microsoft_credential(args)
    created = client.register_microsoft(
        directory_tenant_id=args.directory_tenant_id,
        client_id=args.client_id,
        client_secret=secret,
        certificate=certificate,
        connection_id=args.id,
    )
    return _print_connection(args, terminal, created)


def _add_google(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    key = inputs.parse_service_account_key(
        inputs.read_text(args.key_file, what="key file"), source=args.key_file
    )
    created = client.register_google(
        service_account_key=key, workspace_domain=args.domain, connection_id=args.id
    )
    return _print_connection(args, terminal, created)


def _print_connection(args: argparse.Namespace, terminal: Terminal, created: dict[str, Any]) -> int:
    if args.json:
        print_json(terminal, created)
    else:
        terminal.out.print(connection_line(created), markup=False, highlight=False)
        terminal.out.print(
            f"next: groundtruth mailboxes import --connection {created['connection_id']} mailboxes.csv",
            markup=False,
            highlight=False,
        )
    return 0


def _remove_connection(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    if not args.yes and not terminal.confirm(
        f"remove connection {args.connection_id}? Its mailboxes stop being captured"
    ):
        raise CliError("not confirmed; nothing removed (pass --yes to skip the question)")
    client.delete_connection(args.connection_id)
    terminal.out.print(f"connection {args.connection_id} removed", markup=False, highlight=False)
    return 0


# --- mailboxes ---------------------------------------------------------------------------------------


def _upsert(
    args: argparse.Namespace, client: RestClient, terminal: Terminal, mailboxes: list[tuple[str, str]]
) -> int:
    statuses: list[Any] = []
    for batch in iter_batches(mailboxes):
        statuses += client.upsert_mailboxes(args.connection, batch).get("mailboxes") or []
    if args.json:
        print_json(terminal, {"mailboxes": statuses})
        return 0
    terminal.out.print(
        f"{len(statuses)} mailbox(es) assigned to connection {args.connection}; capture backfills them now",
        markup=False,
        highlight=False,
    )
    terminal.out.print(
        f"follow it with: groundtruth backfill --connection {args.connection}", markup=False, highlight=False
    )
    return 0


def _add_mailbox(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    return _upsert(args, client, terminal, [(args.address, args.rep_id)])


def _import_mailboxes(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    source = "standard input" if args.file == "-" else args.file
    rows = inputs.parse_mailbox_csv(inputs.read_text(args.file, what="CSV file"), source=source)
    return _upsert(args, client, terminal, rows)


def _list_mailboxes(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    statuses = client.sync_status().get("mailboxes") or []
    if args.connection:
        statuses = [s for s in statuses if s.get("connection_id") == args.connection]
    if args.json:
        print_json(terminal, {"mailboxes": statuses})
        return 0
    terminal.out.print(status_table(statuses, now=datetime.now(UTC), title="Mailboxes"))
    terminal.out.print(status_summary(statuses), markup=False, highlight=False)
    return 0


def _remove_mailbox(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
    client.remove_mailbox(args.address)
    terminal.out.print(
        f"mailbox {args.address} removed (captured activity stays; use 'erase' to delete a rep's data)",
        markup=False,
        highlight=False,
    )
    return 0


# --- parsers -----------------------------------------------------------------------------------------


def _command(
    sub: Any, name: str, help_text: str, description: str, handler: ClientHandler, *, json: bool = True
) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=description, formatter_class=RAW)
    add_gateway_options(parser, json_output=json)
    parser.set_defaults(handler=with_client(handler))
    result: argparse.ArgumentParser = parser
    return result


def add_commands(commands: Any) -> None:
    group = commands.add_parser(
        "connections",
        help="register, list and remove Microsoft 365 / Google Workspace connections",
        description="Provider connections capture reads mailboxes through (admin key).\n\n"
        "example: groundtruth connections list",
        formatter_class=RAW,
    )
    sub = group.add_subparsers(dest="connections_command", required=True, metavar="COMMAND")
    _command(
        sub,
        "list",
        "list connections (credentials are never shown)",
        "List the tenant's connections; credentials never leave the server.\n\n"
        "example: groundtruth connections list --json",
        _list_connections,
    )
    ms = _command(
        sub,
        "add-microsoft",
        "register a Microsoft 365 app (client secret or certificate)",
        "Register an Entra app with Mail.Read and Calendars.Read application permissions.\n"
        f"Give its credential as a client secret (a file, '-' for standard input, or ${SECRET_ENV})\n"
        "or as a certificate (PEM; the thumbprint is worked out from it).\n\n"
        "examples: groundtruth connections add-microsoft --id m365 \\\n"
        "              --directory-tenant-id 72f988bf-86f1-41af-91ab-2d7cd011db47 \\\n"
        "              --client-id 11111111-2222-3333-4444-555555555555 --client-secret-file secret.txt\n"
        "          groundtruth connections add-microsoft --directory-tenant-id contoso.onmicrosoft.com \\\n"
        "              --client-id 1111... --certificate-file app.pem --private-key-file app.key",
        _add_microsoft,
    )
    ms.add_argument("--directory-tenant-id", required=True, help="the Entra (directory) tenant id or domain")
    ms.add_argument("--client-id", required=True, help="the app (client) id")
    ms.add_argument("--client-secret-file", help="a file holding the client secret ('-': standard input)")
    ms.add_argument("--certificate-file", help="PEM certificate of the app (may also hold the private key)")
    ms.add_argument(
        "--private-key-file", help="PEM private key of the certificate, if not in --certificate-file"
    )
    ms.add_argument("--id", help="the connection id (default: one is assigned)")
    google = _command(
        sub,
        "add-google",
        "register a Google Workspace service account",
        "Register a service account with domain-wide delegation (Gmail and Calendar read-only scopes).\n\n"
        "example: groundtruth connections add-google --id gws --key-file capture-sa.json \\\n"
        "             --domain acme.example",
        _add_google,
    )
    google.add_argument("--key-file", required=True, help="the downloaded JSON key ('-': standard input)")
    google.add_argument("--domain", required=True, help="the Workspace domain")
    google.add_argument("--id", help="the connection id (default: one is assigned)")
    remove = _command(
        sub,
        "remove",
        "remove a connection and stop capturing its mailboxes",
        "Remove a connection; its mailboxes stop being captured. Asks first unless --yes.\n\n"
        "example: groundtruth connections remove m365 --yes",
        _remove_connection,
        json=False,
    )
    remove.add_argument("connection_id")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    group = commands.add_parser(
        "mailboxes",
        help="assign mailboxes to reps, list and remove them",
        description="The mailboxes capture follows, each assigned to a rep (admin key).\n\n"
        "example: groundtruth mailboxes import --connection m365 mailboxes.csv",
        formatter_class=RAW,
    )
    sub = group.add_subparsers(dest="mailboxes_command", required=True, metavar="COMMAND")
    add = _command(
        sub,
        "add",
        "assign one mailbox to a rep",
        "Assign a mailbox of a connection to a rep; capture backfills it, then follows it.\n\n"
        "example: groundtruth mailboxes add --connection m365 ann@acme.example rep-ann",
        _add_mailbox,
    )
    add.add_argument("--connection", required=True, help="the connection the mailbox belongs to")
    add.add_argument("address")
    add.add_argument("rep_id")
    bulk = _command(
        sub,
        "import",
        "assign many mailboxes from a CSV file (address,rep_id)",
        "Assign every mailbox of a CSV file with lines 'address,rep_id' (a header line with\n"
        "those names is allowed). Checked as a whole first: nothing is sent if a line is bad.\n"
        "Re-importing is safe (an assignment is replaced, never duplicated).\n\n"
        "example: groundtruth mailboxes import --connection m365 mailboxes.csv",
        _import_mailboxes,
    )
    bulk.add_argument("--connection", required=True, help="the connection the mailboxes belong to")
    bulk.add_argument("file", help="the CSV file ('-': standard input)")
    listing = _command(
        sub,
        "list",
        "list mailboxes with their sync state",
        "List the tenant's mailboxes, their reps and sync state.\n\n"
        "example: groundtruth mailboxes list --connection m365",
        _list_mailboxes,
    )
    listing.add_argument("--connection", help="only this connection's mailboxes")
    remove = _command(
        sub,
        "remove",
        "stop capturing a mailbox",
        "Stop capturing a mailbox (what it captured stays; 'groundtruth erase' deletes a rep's data).\n\n"
        "example: groundtruth mailboxes remove ann@acme.example",
        _remove_mailbox,
        json=False,
    )
    remove.add_argument("address")
