"""Wiring for the capture service: migrations, pool, producer, connectors, the sync engine, admin gRPC,
and health, metrics and provider webhooks over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from plumbing.bootstrap import service_bootstrap
from plumbing.db.health import database_reachable
from plumbing.db.migrations import migrate
from plumbing.db.pool import Pool
from plumbing.grpc_server import start_grpc_server
from plumbing.health import Readiness, readiness_publisher
from plumbing.http_server import HttpServer, health_app
from plumbing.kafka.producer import broker_reachable
from services.capture.adapters.kafka_health_publisher import KafkaHealthPublisher
from services.capture.adapters.kafka_publisher import KafkaActivityPublisher
from services.capture.adapters.metrics import register_lag_source
from services.capture.adapters.secret_box import SecretBox
from services.capture.config import Settings
from services.capture.operations.health_reporter import HealthReporter
from services.capture.operations.sync.engine import SyncEngine
from services.capture.providers.registry import build_connectors
from services.capture.wiring import build_admin_servicer, build_engine, build_health_reporter

_log = logging.getLogger(__name__)
SCHEMA = "capture"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAMES = [capture_pb2.DESCRIPTOR.services_by_name["CaptureAdmin"].full_name]


@dataclass(frozen=True)
class RunningCapture:
    publisher: KafkaActivityPublisher
    grpc_port: int
    http_port: int
    engine: SyncEngine
    pool: Pool
    health: HealthReporter


async def run_migrations(settings: Settings) -> list[int]:
    return await migrate(settings.database_url.get_secret_value(), schema=SCHEMA, directory=MIGRATIONS)


@contextlib.asynccontextmanager
async def running_capture(settings: Settings) -> AsyncIterator[RunningCapture]:
    """Start every component; on exit stop the sync engine first, then close in reverse order."""
    async with service_bootstrap(
        settings, name="capture", schema=SCHEMA, migrations=MIGRATIONS, pool_size=settings.db_pool_size
    ) as started:
        stack, pool, producer = started.stack, started.pool, started.producer
        publisher = KafkaActivityPublisher(
            producer, topic=settings.topics.activity_captured, dead_letter_topic=settings.topics.deadletter
        )

        secrets = SecretBox(settings.secret_keys)
        if not secrets.available:
            _log.warning("GT_CAPTURE_SECRET_KEYS is not set: connections cannot be registered or read")
        connectors = build_connectors(settings)
        for connector in connectors.values():
            stack.push_async_callback(connector.close)
        engine = build_engine(
            settings, pool=pool, secrets=secrets, connectors=connectors, publisher=publisher
        )

        readiness = Readiness()
        readiness.add("postgres", lambda: database_reachable(pool))
        readiness.add("kafka", lambda: broker_reachable(producer))

        # Webhooks first: creating a subscription makes the provider call them back before it answers.
        webhooks = [route for c in connectors.values() for route in c.webhook_routes(engine)]
        http = HttpServer(health_app(readiness, list(webhooks)), host=settings.host, port=settings.http_port)
        await http.start()
        stack.push_async_callback(http.stop)

        servicer = build_admin_servicer(pool=pool, secrets=secrets, engine=engine)
        grpc_server = await start_grpc_server(
            host=settings.host,
            port=settings.grpc_port,
            registrars=[lambda s: capture_pb2_grpc.add_CaptureAdminServicer_to_server(servicer, s)],
            service_names=SERVICE_NAMES,
            tls=settings.mesh_tls,  # mutual TLS: only services of the mesh get past the handshake
        )
        stack.push_async_callback(grpc_server.stop)
        await stack.enter_async_context(readiness_publisher(readiness, grpc_server.health, SERVICE_NAMES))

        stack.callback(register_lag_source(engine.statuses))
        await engine.start()
        stack.push_async_callback(engine.stop)

        # After the engine's first reconcile: a mailbox it does not run is then really gone.
        health = build_health_reporter(
            settings,
            pool=pool,
            engine=engine,
            publisher=KafkaHealthPublisher(producer, topic=settings.topics.capture_health),
        )
        stop_health = asyncio.Event()
        health_task = asyncio.create_task(health.run(stop_health), name="capture-health")
        stack.push_async_callback(_stop_task, stop_health, health_task)

        _log.info("capture started", extra={"grpc_port": grpc_server.port, "http_port": settings.http_port})
        yield RunningCapture(
            publisher=publisher,
            grpc_port=grpc_server.port,
            http_port=settings.http_port,
            engine=engine,
            pool=pool,
            health=health,
        )


async def _stop_task(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    stop.set()
    try:
        await asyncio.wait_for(task, timeout=10)
    except TimeoutError:
        _log.warning("capture health reporter did not stop in time")


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    async with running_capture(settings):
        await stop.wait()
