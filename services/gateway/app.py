"""Wiring for the gateway: migrations, pool, producer, upstream clients, REST app, public gRPC."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from plumbing.bootstrap import service_bootstrap
from plumbing.db.health import database_reachable
from plumbing.db.migrations import migrate
from plumbing.db.pool import Pool
from plumbing.grpc_server import start_grpc_server
from plumbing.health import Readiness, readiness_publisher
from plumbing.http_server import HttpServer
from plumbing.kafka.producer import broker_reachable
from plumbing.sealed_secrets import SecretSeal
from services.gateway.adapters.authenticator import Authenticator, LastUsedRecorder
from services.gateway.adapters.capture_client import CaptureClient
from services.gateway.adapters.config_cache import ConfigCache
from services.gateway.adapters.crm_publisher import CrmEventPublisher
from services.gateway.adapters.postgres_store import PostgresTenants
from services.gateway.adapters.read_cache import ReadCache
from services.gateway.adapters.rep_scores import RepScoreReader
from services.gateway.adapters.score_view import ScoreView
from services.gateway.adapters.scoring_client import ScoringClient
from services.gateway.adapters.state_store import purge_idempotency_keys
from services.gateway.config import Settings
from services.gateway.domain.cursors import CursorSigner, derive_cursor_key
from services.gateway.domain.rate_limit import RateLimiter
from services.gateway.grpc.auth import AuthInterceptor
from services.gateway.grpc.servicer import GroundtruthServicer
from services.gateway.http.api import create_app
from services.gateway.operations.context import Gateway, Limits, refuse_webhook_secret

_log = logging.getLogger(__name__)
SCHEMA = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE = gateway_pb2.DESCRIPTOR.services_by_name["Groundtruth"].full_name
SERVICE_NAMES = [SERVICE]
PURGE_INTERVAL_SEC = 3600.0


@dataclass(frozen=True)
class Components:
    """What a running gateway is made of, for tests and tools that reach past the API: the pool and
    pepper (to issue keys straight on the database), the authenticator and the score view."""

    operations: Gateway
    pool: Pool
    pepper: bytes
    authenticator: Authenticator
    score_view: ScoreView | None


@dataclass(frozen=True)
class RunningGateway:
    http_port: int
    grpc_port: int
    gateway: Components


async def run_migrations(settings: Settings) -> list[int]:
    return await migrate(settings.database_url.get_secret_value(), schema=SCHEMA, directory=MIGRATIONS)


@contextlib.asynccontextmanager
async def _background(coroutine: Coroutine[Any, Any, None], name: str) -> AsyncIterator[None]:
    task = asyncio.create_task(coroutine, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _purge_loop(pool: Pool, *, ttl_hours: int) -> None:
    while True:
        try:
            await purge_idempotency_keys(pool, ttl_hours=ttl_hours)
        except Exception as exc:
            _log.warning("idempotency purge failed", extra={"error": repr(exc)})
        await asyncio.sleep(PURGE_INTERVAL_SEC)


@contextlib.asynccontextmanager
async def running_gateway(settings: Settings) -> AsyncIterator[RunningGateway]:
    """Start every component; on exit stop taking requests first, then flush and close."""
    async with service_bootstrap(
        settings, name="gateway", schema=SCHEMA, migrations=MIGRATIONS, pool_size=settings.db_pool_size
    ) as started:
        stack, pool, producer = started.stack, started.pool, started.producer
        mesh = settings.mesh_tls  # the gateway's certificate for scoring's and capture's gRPC
        scoring = ScoringClient(settings.scoring_target, tls=mesh, timeout_sec=settings.upstream_timeout_sec)
        stack.push_async_callback(scoring.close)
        capture = CaptureClient(settings.capture_target, tls=mesh, timeout_sec=settings.upstream_timeout_sec)
        stack.push_async_callback(capture.close)

        last_used = LastUsedRecorder(pool, interval_sec=settings.last_used_write_interval_sec)
        await stack.enter_async_context(_background(last_used.run(), "gateway-last-used"))
        authenticator = Authenticator(
            pool,
            pepper=settings.api_key_pepper.get_secret_value().encode(),
            cache_ttl_sec=settings.key_cache_ttl_sec,
            limiter=RateLimiter(
                rate_per_sec=settings.rate_limit_per_sec,
                burst=settings.rate_limit_burst,
                clock=time.monotonic,
            ),
            last_used=last_used,
            token_signing_key=(
                settings.token_signing_key.get_secret_value().encode() if settings.token_signing_key else None
            ),
            token_ttl_sec=settings.token_ttl_sec,
        )
        score_view = None
        if settings.score_view_max_entries > 0:
            score_view = ScoreView(
                settings.kafka_bootstrap_servers,
                settings.topics.scores,
                max_entries=settings.score_view_max_entries,
            )
            await stack.enter_async_context(_background(score_view.run(), "gateway-score-view"))
        tenants = PostgresTenants(pool)
        gateway = Gateway(
            store=tenants,
            scoring=scoring,
            capture=capture,
            scores=RepScoreReader(scoring, ReadCache(ttl_sec=settings.score_cache_ttl_sec), score_view),
            configs=ConfigCache(tenants, ttl_sec=settings.config_cache_ttl_sec),
            publisher=CrmEventPublisher(
                producer, topic=settings.topics.crm_events, timeout_sec=settings.ingest_publish_timeout_sec
            ),
            credentials=authenticator,
            pepper=settings.api_key_pepper.get_secret_value().encode(),
            cursors=CursorSigner(
                settings.cursor_signing_key.get_secret_value().encode()
                if settings.cursor_signing_key
                else derive_cursor_key(settings.api_key_pepper.get_secret_value().encode())
            ),
            seal_secret=_webhook_sealer(settings),
            limits=Limits(
                max_page_size=settings.max_page_size,
                max_batch_events=settings.max_batch_events,
                idempotency_ttl_hours=settings.idempotency_ttl_hours,
                idempotency_lease_sec=settings.idempotency_lease_sec,
                feed_poll_interval_sec=settings.feed_poll_interval_sec,
            ),
        )
        purge = _purge_loop(pool, ttl_hours=settings.idempotency_ttl_hours)
        await stack.enter_async_context(_background(purge, "gateway-idempotency-purge"))

        readiness = Readiness()
        readiness.add("postgres", lambda: database_reachable(pool))
        readiness.add("kafka", lambda: broker_reachable(producer))
        readiness.add("scoring", scoring.reachable)

        servicer = GroundtruthServicer(gateway)
        grpc_server = await start_grpc_server(
            host=settings.host,
            port=settings.grpc_port,
            registrars=[lambda s: gateway_pb2_grpc.add_GroundtruthServicer_to_server(servicer, s)],
            service_names=SERVICE_NAMES,
            interceptors=[AuthInterceptor(authenticator, service=SERVICE)],
            tls=None,  # the public API: every call carries an API key; TLS ends at the ingress
        )
        stack.push_async_callback(grpc_server.stop)
        app = create_app(gateway=gateway, readiness=readiness, max_body_bytes=settings.max_body_bytes)
        http = HttpServer(app, host=settings.host, port=settings.http_port)
        await http.start()
        stack.push_async_callback(http.stop)
        await stack.enter_async_context(readiness_publisher(readiness, grpc_server.health, SERVICE_NAMES))

        _log.info("gateway started", extra={"http_port": settings.http_port, "grpc_port": grpc_server.port})
        components = Components(
            operations=gateway,
            pool=pool,
            pepper=gateway.pepper,
            authenticator=authenticator,
            score_view=score_view,
        )
        yield RunningGateway(http_port=settings.http_port, grpc_port=grpc_server.port, gateway=components)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    async with running_gateway(settings):
        await stop.wait()


def _webhook_sealer(settings: Settings) -> Callable[[str], bytes]:
    """The sealer of webhook secrets, when keys are configured (else the gateway refuses them)."""
    seal = SecretSeal(settings.webhook_secret_keys, setting="GT_GATEWAY_WEBHOOK_SECRET_KEYS")
    return seal.seal if seal.available else refuse_webhook_secret
