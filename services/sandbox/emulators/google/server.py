"""The emulator as an HTTP server: uvicorn inside the caller's event loop, on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.emulators.google.routes_api import ApiRoutes
from services.sandbox.emulators.google.routes_control import ControlRoutes
from services.sandbox.emulators.google.seed import SeedShape, seed_organisation
from services.sandbox.emulators.google.world import GoogleWorld

_DEFAULT_SHAPE = SeedShape()


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The process that embeds the emulator owns its signals.
        yield


class GoogleEmulator:
    """Serves one `GoogleWorld` over HTTP on 127.0.0.1 until `stop()`.

    `start()` returns once the socket accepts connections; `base_url` is then final. Push deliveries
    run on the same event loop, so the loop must stay alive while notifications are expected.
    """

    def __init__(self, world: GoogleWorld, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.world = world
        self._host = host
        # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto says
        # TCP, and accepted sockets inherit proto 0 otherwise: every answer would wait ~40 ms for an ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        api = ApiRoutes(world, lambda: self.base_url)
        control = ControlRoutes(world, lambda: self.base_url)

        async def health(_: Request) -> Response:
            return JSONResponse({"status": "ok"})

        self.app = Starlette(routes=[Route("/healthz", health), *api.routes(), *control.routes()])
        config = uvicorn.Config(
            self.app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=2
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        """Gmail's `api_endpoint` (the client appends gmail/v1/...) and the token URI's origin."""
        return f"http://{self._host}:{self.port}"

    @property
    def calendar_endpoint(self) -> str:
        """Calendar's `api_endpoint`: it replaces rootUrl+servicePath, so it must keep /calendar/v3/."""
        return self.base_url + "/calendar/v3/"

    @property
    def token_uri(self) -> str:
        return self.base_url + "/token"

    def key_file(self) -> dict[str, str]:
        """The service account's key file, its `token_uri` pointing at this emulator."""
        return self.world.key_file(self.token_uri)

    async def start(self) -> None:
        self.world.push.start(asyncio.get_running_loop())
        self._task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise OSError(f"Google emulator on port {self.port} exited at start-up")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        await self.world.push.stop()
        if self._task is not None:
            self._server.should_exit = True
            await self._task
            self._task = None
        self._socket.close()


@contextlib.asynccontextmanager
async def running_google_emulator(
    *,
    seed: int = 7,
    shape: SeedShape | None = _DEFAULT_SHAPE,
    anchor: datetime | None = None,
    enforce_quotas: bool = True,
    port: int = 0,
    **world_options: Any,
) -> AsyncIterator[GoogleEmulator]:
    """A seeded emulator (or an empty one with `shape=None`) for the duration of the block."""
    from services.sandbox.emulators.google.seed import DOMAIN

    world = GoogleWorld(DOMAIN, seed=seed, anchor=anchor, enforce_quotas=enforce_quotas, **world_options)
    if shape is not None:
        seed_organisation(world, shape)
    emulator = GoogleEmulator(world, port=port)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()
