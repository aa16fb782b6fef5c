"""`python -m services.sandbox run|infra`: the platform on embedded infrastructure (`make run`,
`make infra`). The sandbox is never imported by production code; this is its only front door."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from plumbing.logs import configure_logging

EXAMPLES = """\
examples: python -m services.sandbox run          (what `make run` runs; Ctrl-C stops everything)
          DATABASE_URL=postgresql://... KAFKA_BOOTSTRAP_SERVERS=kafka:9092 python -m services.sandbox run
          python -m services.sandbox infra        (only PostgreSQL and Kafka, printing their addresses)
"""


def _run_dir() -> Path:
    return Path(os.environ.get("GT_RUN_DIR", ".run")).resolve()


def run() -> int:
    """The whole platform: infrastructure, emulators with the demo organisation, services, demo runner."""
    from services.sandbox.run import run_platform

    return run_platform(_run_dir())


def infra() -> int:
    """Start only PostgreSQL and the broker (or use the external ones) and print their addresses."""
    from plumbing.embedded import Infrastructure

    stop = [False]
    signal.signal(signal.SIGINT, lambda *_: stop.__setitem__(0, True))
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    with Infrastructure.from_environment(_run_dir(), allow_tansu_fallback=True) as endpoints:
        print(f"DATABASE_URL={endpoints.database_url}")
        print(f"KAFKA_BOOTSTRAP_SERVERS={endpoints.kafka_bootstrap_servers}", flush=True)
        while not stop[0]:
            time.sleep(0.2)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.sandbox",
        description="Groundtruth on one machine, with provider emulators and a demo organisation.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["run", "infra"])
    args = parser.parse_args(argv)
    configure_logging(service="groundtruth", level="INFO", json_format=False)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return run() if args.command == "run" else infra()


if __name__ == "__main__":
    sys.exit(main())
