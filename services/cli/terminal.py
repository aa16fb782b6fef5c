"""What every command shares: the terminal it writes to, the gateway options and the handler shape.

A handler is `handler(args, terminal) -> exit code`. Commands that talk to the gateway are written as
`handler(args, client, terminal)` and wrapped by `with_client`, which builds the `RestClient` from
`--url`/`GT_URL` and `--key`/`GT_API_KEY`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from rich.console import Console

from services.client.rest import RestClient

RAW = argparse.RawDescriptionHelpFormatter
DEFAULT_URL = "http://127.0.0.1:8080"
URL_ENV = "GT_URL"
KEY_ENV = "GT_API_KEY"

# Exit codes (documented in docs/cli.md): 0 done; 1 failed (message on stderr); 2 bad usage (argparse);
# 3 done, but a mailbox is in error (backfill, sync status --fail-on-error) or a backfill did not
# finish in time; 130 interrupted.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure the user can fix; printed as one line without a traceback."""


# Wide enough for any table the CLI prints: off a terminal, a table is laid out at its natural width
# instead of being squeezed to 80 columns, where rich cut identifiers to "dario.me…".
PIPE_WIDTH = 10_000


def results_console(stream: TextIO | None = None) -> Console:
    """The console results are written to: the terminal's width on a terminal; full width (nothing
    truncated, nothing wrapped) when stdout is a pipe or a file, so scripts and `| grep` see whole
    identifiers. `--json` is unaffected (it is not rendered by rich tables)."""
    stream = stream or sys.stdout
    if stream.isatty():
        return Console(file=stream)
    return Console(file=stream, width=PIPE_WIDTH, soft_wrap=True)


@dataclass
class Terminal:
    """Where a command writes (results on `out`, messages on `err`) and reads confirmations from."""

    out: Console
    err: Console
    stdin: TextIO = field(default_factory=lambda: sys.stdin)

    @classmethod
    def standard(cls) -> Terminal:
        return cls(out=results_console(), err=Console(stderr=True))

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question on stderr; anything but y/yes (or no terminal to ask on) is no."""
        self.err.print(f"{question} [y/N] ", end="", markup=False, highlight=False)
        answer = self.stdin.readline()
        if not answer or not self.stdin.isatty():
            self.err.print()  # the answer typed on a terminal ended the line already; otherwise end it
        return answer.strip().lower() in {"y", "yes"}

    def fail(self, message: str) -> None:
        self.err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


Handler = Callable[[argparse.Namespace, Terminal], int]
ClientHandler = Callable[[argparse.Namespace, RestClient, Terminal], int]


def add_gateway_options(parser: argparse.ArgumentParser, *, json_output: bool = True) -> None:
    """--url, --key (and --json) on a command that talks to the gateway."""
    group = parser.add_argument_group("gateway")
    group.add_argument(
        "--url",
        default=None,
        help=f"the gateway's base URL (default: ${URL_ENV}, else {DEFAULT_URL})",
    )
    group.add_argument("--key", default=None, help=f"an API key (default: ${KEY_ENV})")
    if json_output:
        parser.add_argument("--json", action="store_true", help="print the API's JSON instead of a table")


def gateway_url(args: argparse.Namespace) -> str:
    url: str = args.url or os.environ.get(URL_ENV) or DEFAULT_URL
    if not url.startswith(("http://", "https://")):
        raise CliError(f"--url {url!r} must start with http:// or https://")
    return url


def api_key(args: argparse.Namespace) -> str:
    key: str = args.key or os.environ.get(KEY_ENV) or ""
    if not key:
        raise CliError(f"no API key: pass --key or set {KEY_ENV} (an admin key for admin commands)")
    return key


def with_client(handler: ClientHandler) -> Handler:
    def run(args: argparse.Namespace, terminal: Terminal) -> int:
        with RestClient(gateway_url(args), api_key(args)) as client:
            return handler(args, client, terminal)

    return run


def print_json(terminal: Terminal, value: Any) -> None:
    terminal.out.print_json(data=value, indent=2, highlight=False)
