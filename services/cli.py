"""`groundtruth`: the command line for running and operating the platform."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from plumbing.embedded import Infrastructure
from plumbing.logs import configure_logging
from services.gateway.cli import add_commands as add_gateway_commands


def _run_dir() -> Path:
    return Path(os.environ.get("GT_RUN_DIR", ".run")).resolve()


def cmd_run(_: argparse.Namespace) -> int:
    from services.platform import run_platform

    return run_platform(_run_dir())


def cmd_infra(_: argparse.Namespace) -> int:
    """Start only PostgreSQL and the broker (or use the external ones) and print their addresses."""
    stop = [False]
    signal.signal(signal.SIGINT, lambda *_: stop.__setitem__(0, True))
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    with Infrastructure.from_environment(_run_dir()) as endpoints:
        print(f"DATABASE_URL={endpoints.database_url}")
        print(f"KAFKA_BOOTSTRAP_SERVERS={endpoints.kafka_bootstrap_servers}", flush=True)
        while not stop[0]:
            time.sleep(0.2)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="groundtruth", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="run the whole platform on embedded infrastructure",
        description="Start PostgreSQL, the broker and every service; Ctrl-C stops all.\n\n"
        "example: groundtruth run\n"
        "         DATABASE_URL=postgresql://... KAFKA_BOOTSTRAP_SERVERS=kafka:9092 groundtruth run",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.set_defaults(func=cmd_run)
    infra = commands.add_parser(
        "infra",
        help="run only the embedded PostgreSQL and broker",
        description="Start the embedded infrastructure and print its addresses; Ctrl-C stops it.\n\n"
        "example: groundtruth infra",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    infra.set_defaults(func=cmd_infra)
    add_gateway_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(service="groundtruth", level="INFO", json_format=False)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
