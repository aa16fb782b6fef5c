"""`python -m services.scoring [run|migrate]`: run the scoring service, or only apply its migrations."""

from __future__ import annotations

import argparse
import asyncio

from plumbing.lifecycle import run_until_signalled
from plumbing.logs import configure_logging
from services.scoring.app import run_migrations, serve
from services.scoring.config import Settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.scoring")
    parser.add_argument("command", nargs="?", choices=["run", "migrate"], default="run")
    args = parser.parse_args()
    settings = Settings()  # type: ignore[call-arg]  # required fields come from the environment
    configure_logging(service="scoring", level=settings.log_level, json_format=settings.log_json)
    if args.command == "migrate":
        asyncio.run(run_migrations(settings))
        return
    run_until_signalled(lambda stop: serve(settings, stop))


if __name__ == "__main__":
    main()
