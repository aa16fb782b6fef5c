"""Wiring for the gateway: upstream clients, REST app, public gRPC, health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from plumbing.grpc_server import start_grpc_server
from plumbing.health import Readiness, readiness_publisher
from plumbing.http_server import HttpServer
from services.gateway.adapters.grpc_public import GroundtruthServicer
from services.gateway.adapters.scoring_client import ScoringClient
from services.gateway.api import create_app
from services.gateway.config import Settings

_log = logging.getLogger(__name__)
SERVICE_NAMES = [gateway_pb2.DESCRIPTOR.services_by_name["Groundtruth"].full_name]


@dataclass(frozen=True)
class RunningGateway:
    http_port: int
    grpc_port: int


@contextlib.asynccontextmanager
async def running_gateway(settings: Settings) -> AsyncIterator[RunningGateway]:
    async with contextlib.AsyncExitStack() as stack:
        scoring = ScoringClient(settings.scoring_target, timeout_sec=settings.upstream_timeout_sec)
        stack.push_async_callback(scoring.close)

        readiness = Readiness()
        readiness.add("scoring", scoring.reachable)

        servicer = GroundtruthServicer(scoring)
        grpc_server = await start_grpc_server(
            host=settings.host,
            port=settings.grpc_port,
            registrars=[lambda s: gateway_pb2_grpc.add_GroundtruthServicer_to_server(servicer, s)],
            service_names=SERVICE_NAMES,
        )
        stack.push_async_callback(grpc_server.stop)
        http = HttpServer(
            create_app(scoring=scoring, readiness=readiness), host=settings.host, port=settings.http_port
        )
        await http.start()
        stack.push_async_callback(http.stop)
        await stack.enter_async_context(readiness_publisher(readiness, grpc_server.health, SERVICE_NAMES))

        _log.info("gateway started", extra={"http_port": settings.http_port, "grpc_port": grpc_server.port})
        yield RunningGateway(http_port=settings.http_port, grpc_port=grpc_server.port)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    async with running_gateway(settings):
        await stop.wait()
