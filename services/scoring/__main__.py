"""`python -m services.scoring [run|migrate]`: run the scoring service, or only apply its migrations."""

from __future__ import annotations

import argparse
import asyncio
import gc

from plumbing.lifecycle import run_until_signalled
from plumbing.logs import configure_logging
from services.scoring.app import run_migrations, serve
from services.scoring.config import Settings

# Collect the youngest generation every this many allocations (Python's default is 700).
GC_YOUNG_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Ingest and rescoring allocate millions of short-lived objects (decoded events, rows, score
    inputs) that reference counting frees, and next to no reference cycles. With the default
    thresholds the cyclic collector still runs every 700 allocations and, every hundred runs or so,
    walks every live object: measured at about a quarter of ingest time and a sixth of a full
    rescore. Objects alive after startup (modules, protobuf descriptors) are frozen out of its walks,
    and it runs far less often; the few cycles there are wait a little longer to be freed."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.scoring")
    parser.add_argument("command", nargs="?", choices=["run", "migrate"], default="run")
    args = parser.parse_args()
    settings = Settings()  # type: ignore[call-arg]  # required fields come from the environment
    configure_logging(service="scoring", level=settings.log_level, json_format=settings.log_json)
    if args.command == "migrate":
        asyncio.run(run_migrations(settings))
        return
    tune_garbage_collector()
    run_until_signalled(lambda stop: serve(settings, stop))


if __name__ == "__main__":
    main()
