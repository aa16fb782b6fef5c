"""Wiring for the scoring service: migrations, pool, consumer, rescoring, relays, gRPC, health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.bootstrap import service_bootstrap
from plumbing.db.health import database_reachable
from plumbing.db.migrations import migrate
from plumbing.db.pool import Pool, is_transient_db_error
from plumbing.grpc_server import start_grpc_server
from plumbing.health import Readiness, readiness_publisher
from plumbing.http_server import HttpServer, health_app
from plumbing.kafka.consumer import BatchConsumer, ConsumerConfig, create_consumer
from plumbing.kafka.dead_letters import DeadLetterPublisher
from plumbing.kafka.producer import broker_reachable
from services.scoring.adapters.pg_capture_health import PostgresCaptureHealthStore
from services.scoring.adapters.pg_statistics import refresh_stale_statistics
from services.scoring.adapters.smtp_sender import SmtpMailSender
from services.scoring.adapters.webhook_sender import HttpWebhookSender
from services.scoring.config import Settings
from services.scoring.domain.capture_reports import HealthRecord
from services.scoring.operations.ingest import Decoded
from services.scoring.operations.relay import Relays
from services.scoring.operations.rescore import RescoreService
from services.scoring.operations.settings import SettingsCache
from services.scoring.wiring import (
    build_capture_health_processor,
    build_notification_relay,
    build_processor,
    build_relay_producer,
    build_relays,
    build_rescore,
    build_servicers,
    build_weekly_digests,
    now,
    rescore_claims,
)

_log = logging.getLogger(__name__)
SCHEMA = "scoring"
MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAMES = [
    scoring_pb2.DESCRIPTOR.services_by_name["ScoringQuery"].full_name,
    scoring_pb2.DESCRIPTOR.services_by_name["ScoringAdmin"].full_name,
]
# The consumer is live while it polls; a loop stuck longer than this fails liveness.
CONSUMER_STALL_SEC = 120.0


@dataclass(frozen=True)
class RunningScoring:
    grpc_port: int
    http_port: int
    consumer: BatchConsumer[Decoded]
    consumer_task: asyncio.Task[None]
    rescore: RescoreService
    relays: Relays


async def run_migrations(settings: Settings) -> list[int]:
    return await migrate(settings.database_url.get_secret_value(), schema=SCHEMA, directory=MIGRATIONS)


@contextlib.asynccontextmanager
async def running_scoring(settings: Settings) -> AsyncIterator[RunningScoring]:
    """Start every component; on exit the consumer finishes and commits its batch before anything closes."""
    async with service_bootstrap(
        settings, name="scoring", schema=SCHEMA, migrations=MIGRATIONS, pool_size=settings.db_pool_size
    ) as started:
        stack, pool, producer = started.stack, started.pool, started.producer

        stopping = asyncio.Event()
        # One per process: ingest, rescoring and the queries build each configuration version once.
        tenant_settings = SettingsCache()
        relay_producer = build_relay_producer(
            settings.kafka_bootstrap_servers, enable_idempotence=settings.kafka_enable_idempotence
        )
        await relay_producer.start()
        stack.push_async_callback(relay_producer.stop)
        relays = build_relays(
            settings.database_url.get_secret_value(),
            relay_producer,
            schema=SCHEMA,
            matched_topic=settings.topics.activity_matched,
            scores_topic=settings.topics.scores,
            batch_size=settings.relay_batch_size,
            interval_sec=settings.relay_interval_sec,
        )
        # Runs after the relay task has stopped (the stack unwinds in reverse): the lease goes at once.
        stack.push_async_callback(relays.close)
        # The periodic passes of every process share the tenants: one claim per tenant at a time.
        claims = rescore_claims(settings.database_url.get_secret_value(), schema=SCHEMA)
        stack.push_async_callback(claims.close)
        rescore = build_rescore(
            pool,
            tenant_settings=tenant_settings,
            dedupe_retention=timedelta(days=settings.dedupe_retention_days),
            mail=bool(settings.smtp_host),
            capture_report_max_age=timedelta(seconds=settings.capture_report_max_age_sec),
            claims=claims,
        )
        webhooks = HttpWebhookSender()
        stack.push_async_callback(webhooks.aclose)
        mail = (
            SmtpMailSender(
                settings.smtp_host,
                settings.smtp_port_number,
                settings.smtp_from,
                starttls=settings.smtp_starttls,
            )
            if settings.smtp_host
            else None
        )
        notify = build_notification_relay(
            pool,
            tenant_settings=tenant_settings,
            webhooks=webhooks,
            mail=mail,
            webhook_secret_keys=settings.webhook_secret_keys,
        )
        digests = build_weekly_digests(
            pool,
            tenant_settings=tenant_settings,
            mail=bool(settings.smtp_host),
            grace=timedelta(hours=settings.digest_grace_hours),
        )
        background = [
            asyncio.create_task(relays.run(stopping), name="scoring-relays"),
            asyncio.create_task(
                _every(settings.notify_interval_sec, lambda: notify.deliver_due(now()), _nothing, stopping),
                name="scoring-notifications",
            ),
            asyncio.create_task(
                _every(settings.digest_interval_sec, lambda: digests(now()), _nothing, stopping),
                name="scoring-weekly-digests",
            ),
            asyncio.create_task(
                _every(settings.rescore_interval_sec, rescore.run_due, relays.nudge, stopping)
            ),
            # During a backfill the tables grow faster than autovacuum analyzes them; fresh
            # statistics keep plans right and leave little for a full rescore to analyze first.
            asyncio.create_task(
                _every(
                    settings.statistics_interval_sec, lambda: _refresh_statistics(pool), _nothing, stopping
                ),
                name="scoring-statistics",
            ),
        ]
        stack.push_async_callback(_stop_background, stopping, background)

        config = ConsumerConfig(
            group_id=settings.consumer_group,
            topics=(settings.topics.activity_captured, settings.topics.crm_events),
            max_batch_size=settings.max_batch_size,
            max_batch_time_ms=settings.max_batch_time_ms,
            session_timeout_ms=settings.kafka_session_timeout_ms,
            # 24 partitions per topic: a small prefetch per partition still keeps a batch or two
            # ready, and bounds the memory a backlog can take (a bare consumer of the bench's topics
            # held 52 MB with 512 KB / 8 MB, 36 MB with these).
            max_partition_fetch_bytes=256 * 1024,
            fetch_max_bytes=4 * 1024 * 1024,
        )
        kafka_consumer = create_consumer(settings.kafka_bootstrap_servers, config, client_id="scoring")
        await kafka_consumer.start()
        stack.push_async_callback(kafka_consumer.stop)
        consumer: BatchConsumer[Decoded] = BatchConsumer(
            consumer=kafka_consumer,
            config=config,
            processor=build_processor(
                pool,
                rematch_horizon_days=settings.rematch_horizon_days,
                after_commit=relays.nudge,
                tenant_settings=tenant_settings,
            ),
            dead_letters=DeadLetterPublisher(
                producer, topic=settings.topics.deadletter, consumer_group=settings.consumer_group
            ),
            is_transient=is_transient_db_error,
        )
        consumer_task = asyncio.create_task(consumer.run(), name="scoring-consumer")
        stack.push_async_callback(_stop_consumer, consumer, consumer_task)
        health_consumer, health_task = await _start_capture_health(settings, stack, pool, producer, stopping)

        readiness = Readiness()
        readiness.add("postgres", lambda: database_reachable(pool))
        readiness.add("kafka", lambda: broker_reachable(producer))
        readiness.add("consumer", lambda: _consumer_alive(consumer, consumer_task))
        readiness.add("capture-health", lambda: _consumer_alive(health_consumer, health_task))

        query, admin = build_servicers(pool, tenant_settings=tenant_settings, relays=relays, rescore=rescore)
        grpc_server = await start_grpc_server(
            host=settings.host,
            port=settings.grpc_port,
            registrars=[
                lambda s: scoring_pb2_grpc.add_ScoringQueryServicer_to_server(query, s),
                lambda s: scoring_pb2_grpc.add_ScoringAdminServicer_to_server(admin, s),
            ],
            service_names=SERVICE_NAMES,
            tls=settings.mesh_tls,  # mutual TLS: only services of the mesh get past the handshake
        )
        stack.push_async_callback(grpc_server.stop)
        http = HttpServer(health_app(readiness), host=settings.host, port=settings.http_port)
        await http.start()
        stack.push_async_callback(http.stop)
        await stack.enter_async_context(readiness_publisher(readiness, grpc_server.health, SERVICE_NAMES))

        _log.info("scoring started", extra={"grpc_port": grpc_server.port, "http_port": settings.http_port})
        yield RunningScoring(
            grpc_port=grpc_server.port,
            http_port=settings.http_port,
            consumer=consumer,
            consumer_task=consumer_task,
            rescore=rescore,
            relays=relays,
        )


async def _start_capture_health(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    pool: Pool,
    producer: AIOKafkaProducer,
    stopping: asyncio.Event,
) -> tuple[BatchConsumer[HealthRecord], asyncio.Task[None]]:
    """Capture's health topic: its own group (committed after its own transaction), and the periodic
    check that marks for rescoring the reps of mailboxes capture stopped reporting on."""
    group = f"{settings.consumer_group}-capture-health"
    config = ConsumerConfig(
        group_id=group,
        topics=(settings.topics.capture_health,),
        max_batch_size=1000,
        max_batch_time_ms=settings.max_batch_time_ms,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        max_partition_fetch_bytes=256 * 1024,
        fetch_max_bytes=1024 * 1024,
    )
    kafka_consumer = create_consumer(settings.kafka_bootstrap_servers, config, client_id="scoring-health")
    await kafka_consumer.start()
    stack.push_async_callback(kafka_consumer.stop)
    consumer: BatchConsumer[HealthRecord] = BatchConsumer(
        consumer=kafka_consumer,
        config=config,
        processor=build_capture_health_processor(pool),
        dead_letters=DeadLetterPublisher(producer, topic=settings.topics.deadletter, consumer_group=group),
        is_transient=is_transient_db_error,
    )
    task = asyncio.create_task(consumer.run(), name="scoring-capture-health")
    stack.push_async_callback(_stop_consumer, consumer, task)
    store = PostgresCaptureHealthStore(pool)
    max_age = timedelta(seconds=settings.capture_report_max_age_sec)
    silence = asyncio.create_task(
        _every(
            max(1.0, settings.capture_report_max_age_sec / 4),
            lambda: store.note_silent(reported_before=now() - max_age),
            _nothing,
            stopping,
        ),
        name="scoring-capture-silence",
    )
    stack.push_async_callback(_stop_background, stopping, [silence])
    return consumer, task


async def _every(
    interval_sec: float, work: Callable[[], Awaitable[object]], then: Callable[[], None], stop: asyncio.Event
) -> None:
    """Run `work` every `interval_sec` until `stop`; a failure is logged and retried next time."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_sec)
        if stop.is_set():
            return
        try:
            await work()
            then()
        except Exception as exc:
            _log.warning("periodic work failed", extra={"error": repr(exc)})


async def _refresh_statistics(pool: Pool) -> None:
    async with pool.acquire() as conn:
        await refresh_stale_statistics(conn)


def _nothing() -> None:
    return None


async def _stop_background(stopping: asyncio.Event, tasks: list[asyncio.Task[None]]) -> None:
    stopping.set()
    _, pending = await asyncio.wait(tasks, timeout=30)
    for task in pending:
        task.cancel()


async def _consumer_alive(consumer: BatchConsumer[Any], task: asyncio.Task[None]) -> bool:
    if task.done():
        return False
    return consumer.healthy and time.monotonic() - consumer.last_poll_monotonic < CONSUMER_STALL_SEC


async def _stop_consumer(consumer: BatchConsumer[Any], task: asyncio.Task[None]) -> None:
    consumer.stop()
    try:
        await asyncio.wait_for(task, timeout=30)
    except TimeoutError:
        _log.error("consumer did not drain in time; uncommitted records will be re-delivered")


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run until `stop`; if the consumer loop dies, re-raise so the process exits and is restarted."""
    async with running_scoring(settings) as running:
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({stopped, running.consumer_task}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if running.consumer_task.done() and not running.consumer_task.cancelled():
            running.consumer_task.result()
