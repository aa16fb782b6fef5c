"""Wiring: the three loops over one Tryton session and one Groundtruth channel, retried on failure.

`Connector.run(stop)` returns when `stop` is set. Each loop retries its step with a growing backoff
whatever fails (Tryton away, the gateway away, a refused call): nothing is acknowledged or stored
before it is done, so a retry is always safe, and one loop failing never stalls the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from groundtruth.crm.v1 import crm_pb2
from plugins.tryton.connector import mapping
from plugins.tryton.connector.config import Settings
from plugins.tryton.connector.inbound import Inbound, load_directory
from plugins.tryton.connector.jsonrpc import TrytonRpc
from plugins.tryton.connector.outbound import Outbound
from plugins.tryton.connector.reps import RepDirectory
from services.client import GroundtruthClient

_log = logging.getLogger("plugins.tryton.connector")


class Connector:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.status: dict[str, Any] = {"started_at": time.time(), "loops": {}}
        self._directory: tuple[float, RepDirectory] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        s = self.settings
        tryton = TrytonRpc(s.url, s.database, s.user, s.password.get_secret_value())
        async with tryton, GroundtruthClient(s.gateway_target, s.api_key.get_secret_value()) as client:

            async def ingest(events: Sequence[crm_pb2.CrmEvent]) -> None:
                answer = await client.ingest(events)
                for item in answer.items:
                    if item.errors:  # a mapping the gateway refuses: say so, never block on it
                        _log.error("event %d refused: %s", item.index, "; ".join(item.errors))

            inbound = Inbound(tryton, ingest, page_size=s.page_size, overlap_sec=s.overlap_sec)
            outbound = Outbound(tryton, client, subscription=s.subscription, page_size=s.feed_page_size)

            async def inbound_step() -> bool:
                sent = await inbound.run_pass(await self._reps(tryton))
                self.status["events_sent"] = inbound.events_sent
                return sent > 0

            async def outbound_step() -> bool:
                written = await outbound.run_page(await self._reps(tryton))
                self.status["activities_written"] = outbound.written
                return written > 0

            async def scores_step() -> bool:
                reps = await self._reps(tryton)
                items = [mapping.score_item(score, reps) for score in await client.rep_scores()]
                if items:
                    await tryton.call("model.groundtruth.rep_score.store_scores", items)
                self.status["scores_stored"] = len(items)
                return False  # scores move slowly: always wait the interval

            server = await self._serve_status() if s.http_port else None
            try:
                await asyncio.gather(
                    self._loop("inbound", inbound_step, s.poll_interval_sec, stop),
                    self._loop("outbound", outbound_step, min(1.0, s.poll_interval_sec), stop),
                    self._loop("scores", scores_step, s.scores_interval_sec, stop),
                )
            finally:
                if server is not None:
                    server.close()
                    await server.wait_closed()

    async def _reps(self, tryton: TrytonRpc) -> RepDirectory:
        now = time.monotonic()
        if self._directory is None or now - self._directory[0] > self.settings.directory_ttl_sec:
            self._directory = (now, await load_directory(tryton))
        return self._directory[1]

    async def _loop(
        self, name: str, step: Callable[[], Awaitable[bool]], interval_sec: float, stop: asyncio.Event
    ) -> None:
        """Run `step` until `stop`: again at once while it has work, after `interval_sec` when idle,
        after a growing backoff when it failed."""
        state: dict[str, Any] = {"passes": 0, "failures": 0, "last_error": None}
        self.status["loops"][name] = state
        failures = 0
        while not stop.is_set():
            try:
                busy = await step()
            except Exception as exc:  # every failure is retried; see the module docstring
                failures += 1
                state.update(failures=state["failures"] + 1, last_error=f"{type(exc).__name__}: {exc}"[:500])
                _log.warning(
                    "%s failed, retrying in %.1f s: %s", name, self._backoff(failures), state["last_error"]
                )
                wait = self._backoff(failures)
            else:
                failures = 0
                state["passes"] += 1
                state["last_error"] = None
                wait = 0.0 if busy else interval_sec
            if wait:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)

    def _backoff(self, failures: int) -> float:
        return min(self.settings.max_backoff_sec, 0.5 * 2.0 ** min(failures, 10))

    async def _serve_status(self) -> asyncio.Server:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                await reader.readuntil(b"\r\n\r\n")
                body = json.dumps(self.status, default=str).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
            writer.close()

        return await asyncio.start_server(answer, self.settings.host, self.settings.http_port)
