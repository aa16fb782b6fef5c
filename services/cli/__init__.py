"""`groundtruth`: the command line for running the platform and administering a tenant.

Layout: `parser.py` assembles the command tree from one module per group (`keys`, `connections`,
`sync`, `reports`, `erase`; `tenant` comes from the gateway's direct-database
commands); `render/` turns the API's JSON into tables (pure); `errors.py` turns failures into one line
and an exit code. Every gateway call goes through `services.client.rest.RestClient`.
"""

from __future__ import annotations

import os
import sys

from services.cli.errors import describe
from services.cli.parser import build_parser
from services.cli.terminal import Terminal


def main(argv: list[str] | None = None, *, terminal: Terminal | None = None) -> int:
    """Run one command; returns its exit code (argparse's own exits, such as --help, included)."""
    terminal = terminal or Terminal.standard()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    try:
        handler = getattr(args, "handler", None)
        if handler is not None:
            code: int = handler(args, terminal)
        else:
            code = args.func(args)  # the gateway's direct-database `tenant` commands
        return code
    except (Exception, KeyboardInterrupt) as exc:
        if os.environ.get("GT_DEBUG"):
            raise
        code, message = describe(exc)
        terminal.fail(message)
        return code


__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
