"""`python -m services.gateway [run]`: run the gateway until SIGTERM.
`python -m services.gateway admin ...`: the operator's commands on its database (see admin/)."""

from __future__ import annotations

import argparse
import sys

from plumbing.lifecycle import run_until_signalled
from plumbing.logs import configure_logging
from services.gateway.admin import commands as admin
from services.gateway.app import serve
from services.gateway.config import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.gateway",
        description="The Groundtruth gateway: the public REST and gRPC API (no command: run it).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the gateway until SIGTERM (the default)")
    admin.add_commands(
        commands.add_parser(
            "admin",
            help="create tenants and manage their keys on the gateway's database",
            description=admin.DESCRIPTION,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "admin":
        return admin.run(args)
    settings = Settings()  # type: ignore[call-arg]  # required fields come from the environment
    configure_logging(service="gateway", level=settings.log_level, json_format=settings.log_json)
    run_until_signalled(lambda stop: serve(settings, stop))
    return 0


if __name__ == "__main__":
    sys.exit(main())
