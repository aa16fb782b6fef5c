"""`python -m services.gateway`: run the gateway until SIGTERM."""

from __future__ import annotations

from plumbing.lifecycle import run_until_signalled
from plumbing.logs import configure_logging
from services.gateway.app import serve
from services.gateway.config import Settings


def main() -> None:
    settings = Settings()  # type: ignore[call-arg]  # required fields come from the environment
    configure_logging(service="gateway", level=settings.log_level, json_format=settings.log_json)
    run_until_signalled(lambda stop: serve(settings, stop))


if __name__ == "__main__":
    main()
