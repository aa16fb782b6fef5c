"""`python -m plugins.tryton.connector`: Tryton ↔ Groundtruth until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal

from plugins.tryton.connector.app import Connector
from plugins.tryton.connector.config import Settings


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await Connector(settings).run(stop)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings()  # type: ignore[call-arg]  # database, password and api_key come from the environment
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()
