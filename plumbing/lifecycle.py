"""Run a service until SIGTERM or SIGINT, then let it drain."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main(stop)` in a fresh event loop; the first SIGTERM/SIGINT sets `stop`.

    `main` must return once `stop` is set, after draining its work. A second signal is left to the
    default handler so an operator can still force an exit.
    """

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, _on_signal(loop, stop))
        await main(stop)

    asyncio.run(runner())


def _on_signal(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> Callable[[], None]:
    def handler() -> None:
        stop.set()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)

    return handler
