"""`python -m services.capture`: run the capture service until SIGTERM."""

from __future__ import annotations

import gc

from plumbing.lifecycle import run_until_signalled
from plumbing.logs import configure_logging
from services.capture.app import serve
from services.capture.config import Settings

# Collect the youngest generation every this many allocations (Python's default is 700), as scoring.
GC_YOUNG_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """A backfill parses JSON pages into millions of short-lived dicts and strings that reference
    counting frees; cycles are rare. With the default thresholds the cyclic collector fired inside
    JSON parsing (every 700 allocations; a page of 100 messages is tens of thousands) and every so
    often walked every live object (a profile of a Graph backfill showed it). Objects alive after
    start-up (modules, protobuf descriptors) are frozen out of its walks and it runs far less often."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


def main() -> None:
    settings = Settings()  # type: ignore[call-arg]  # required fields come from the environment
    configure_logging(service="capture", level=settings.log_level, json_format=settings.log_json)
    tune_garbage_collector()
    run_until_signalled(lambda stop: serve(settings, stop))


if __name__ == "__main__":
    main()
