"""Processes the gateway benchmark runs beside the gateway.

`bare HTTP_PORT GRPC_PORT`: the same server stack as the gateway (FastAPI under the plumbing's
uvicorn server, grpc.aio from `plumbing.grpc_server`) with trivial handlers: the ceiling.
`upstream GRPC_PORT`: the fake ScoringQuery/CaptureAdmin of the gateway tests, standing in for
scoring while its GetRepScore is not on this branch.
"""

from __future__ import annotations

import asyncio
import os
import sys

import grpc
from fastapi import FastAPI

from plumbing.grpc_server import start_grpc_server
from plumbing.http_server import HttpServer
from plumbing.lifecycle import run_until_signalled
from plumbing.tls import MeshTls
from tests.integration.gateway.fakes import Recorder, running_upstreams

BARE_SERVICE = "bench.Bare"


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, bool]:
        return {"ok": True}

    return app


async def _ping(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    return b""


async def serve_bare(http_port: int, grpc_port: int, stop: asyncio.Event) -> None:
    handler = grpc.method_handlers_generic_handler(
        BARE_SERVICE, {"Ping": grpc.unary_unary_rpc_method_handler(_ping)}
    )
    server = await start_grpc_server(
        host="127.0.0.1", port=grpc_port, registrars=[lambda s: s.add_generic_rpc_handlers((handler,))],
        service_names=[], tls=None,  # the baseline of the public gRPC: no TLS, as the gateway's
    )  # fmt: skip
    http = HttpServer(bare_app(), host="127.0.0.1", port=http_port)
    await http.start()
    try:
        await stop.wait()
    finally:
        await http.stop()
        await server.stop(0)


async def serve_upstream(grpc_port: int, stop: asyncio.Event) -> None:
    # The gateway under bench calls its upstreams over mutual TLS, as in production.
    tls = MeshTls.from_settings(
        os.environ["GT_TLS_CA_FILE"], os.environ["GT_TLS_CERT_FILE"], os.environ["GT_TLS_KEY_FILE"]
    )
    async with running_upstreams(["bench"], tls=tls, port=grpc_port) as upstreams:
        upstreams.scoring.recorder = upstreams.capture.recorder = _NoRecorder()
        await stop.wait()


class _NoRecorder(Recorder):
    """The tests' record of every upstream call would only grow during a benchmark."""

    def record(self, method: str, tenant_id: str) -> None:
        return None


def main() -> None:
    kind, *ports = sys.argv[1:]
    numbers = [int(p) for p in ports]
    if kind == "bare":
        run_until_signalled(lambda stop: serve_bare(numbers[0], numbers[1], stop))
    elif kind == "upstream":
        run_until_signalled(lambda stop: serve_upstream(numbers[0], stop))
    else:
        raise SystemExit(f"unknown server {kind!r}")


if __name__ == "__main__":
    main()
