"""Wiring for the capture service: producer, publisher, admin gRPC, health and webhooks over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from plumbing.grpc_server import start_grpc_server
from plumbing.health import Readiness, readiness_publisher
from plumbing.http_server import HttpServer, health_app
from plumbing.kafka.producer import broker_reachable, create_producer
from services.capture.adapters.grpc_admin import CaptureAdminServicer
from services.capture.adapters.kafka_publisher import KafkaActivityPublisher
from services.capture.config import Settings

_log = logging.getLogger(__name__)
SERVICE_NAMES = [capture_pb2.DESCRIPTOR.services_by_name["CaptureAdmin"].full_name]


@dataclass(frozen=True)
class RunningCapture:
    publisher: KafkaActivityPublisher
    grpc_port: int
    http_port: int


@contextlib.asynccontextmanager
async def running_capture(settings: Settings) -> AsyncIterator[RunningCapture]:
    """Start every component; on exit stop taking work first, then flush and close in reverse order."""
    async with contextlib.AsyncExitStack() as stack:
        producer = create_producer(
            settings.kafka_bootstrap_servers,
            enable_idempotence=settings.kafka_enable_idempotence,
            client_id="capture",
        )
        await producer.start()
        stack.push_async_callback(producer.stop)
        publisher = KafkaActivityPublisher(producer, topic=settings.topics.activity_captured)

        readiness = Readiness()
        readiness.add("kafka", lambda: broker_reachable(producer))

        # RPCs not implemented yet answer UNIMPLEMENTED (the generated base class) until capture lands them.
        servicer = CaptureAdminServicer()  # type: ignore[abstract]
        grpc_server = await start_grpc_server(
            host=settings.host,
            port=settings.grpc_port,
            registrars=[lambda s: capture_pb2_grpc.add_CaptureAdminServicer_to_server(servicer, s)],
            service_names=SERVICE_NAMES,
        )
        stack.push_async_callback(grpc_server.stop)
        http = HttpServer(health_app(readiness), host=settings.host, port=settings.http_port)
        await http.start()
        stack.push_async_callback(http.stop)
        await stack.enter_async_context(readiness_publisher(readiness, grpc_server.health, SERVICE_NAMES))

        _log.info("capture started", extra={"grpc_port": grpc_server.port, "http_port": settings.http_port})
        yield RunningCapture(publisher=publisher, grpc_port=grpc_server.port, http_port=settings.http_port)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    async with running_capture(settings):
        await stop.wait()
