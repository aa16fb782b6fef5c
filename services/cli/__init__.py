"""`groundtruth`: the command line for administering a tenant, a pure client of the REST API.

Layout: `parser.py` assembles the command tree from one module per group (`keys`, `connections`,
`sync`, `reports`, `erase`); `render/` turns the API's JSON into tables (pure); `errors.py` turns
failures into one line and an exit code. Every gateway call goes through
`services.client.rest.RestClient`; nothing here touches a database (the operator's bootstrap is
`python -m services.gateway admin`).
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
        code: int = args.handler(args, terminal)
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
