"""`groundtruth run` and `groundtruth infra`: the platform on embedded infrastructure."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from plumbing.logs import configure_logging
from services.cli.terminal import RAW, Terminal


def _run_dir() -> Path:
    return Path(os.environ.get("GT_RUN_DIR", ".run")).resolve()


def _logging() -> None:
    configure_logging(service="groundtruth", level="INFO", json_format=False)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def cmd_run(_: argparse.Namespace, __: Terminal) -> int:
    from services.platform import run_platform

    _logging()
    return run_platform(_run_dir())


def cmd_infra(_: argparse.Namespace, __: Terminal) -> int:
    """Start only PostgreSQL and the broker (or use the external ones) and print their addresses."""
    from plumbing.embedded import Infrastructure

    _logging()
    stop = [False]
    signal.signal(signal.SIGINT, lambda *_: stop.__setitem__(0, True))
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    with Infrastructure.from_environment(_run_dir()) as endpoints:
        print(f"DATABASE_URL={endpoints.database_url}")
        print(f"KAFKA_BOOTSTRAP_SERVERS={endpoints.kafka_bootstrap_servers}", flush=True)
        while not stop[0]:
            time.sleep(0.2)
    return 0


def add_commands(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="run the whole platform on embedded infrastructure",
        description="Start PostgreSQL, the broker and every service; Ctrl-C stops all.\n\n"
        "example: groundtruth run\n"
        "         DATABASE_URL=postgresql://... KAFKA_BOOTSTRAP_SERVERS=kafka:9092 groundtruth run",
        formatter_class=RAW,
    )
    run.set_defaults(handler=cmd_run)
    infra = commands.add_parser(
        "infra",
        help="run only the embedded PostgreSQL and broker",
        description="Start the embedded infrastructure and print its addresses; Ctrl-C stops it.\n\n"
        "example: groundtruth infra",
        formatter_class=RAW,
    )
    infra.set_defaults(handler=cmd_infra)
