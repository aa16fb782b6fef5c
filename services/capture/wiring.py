"""Which adapter stands behind which port: capture's sync engine and admin service on PostgreSQL,
Kafka, the secret box and Prometheus.

`app.py` runs them (start-up, servers, shutdown); this module only builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from groundtruth.activity.v1 import activity_pb2
from plumbing.db.pool import Pool
from services.capture.adapters.grpc_admin import CaptureAdminServicer
from services.capture.adapters.metrics import MailboxCounters
from services.capture.adapters.postgres.admin_store import PostgresAdminStore
from services.capture.adapters.postgres.health_store import PostgresHealthStore
from services.capture.adapters.postgres.sync_store import PostgresSyncStore
from services.capture.adapters.secret_box import SecretBox
from services.capture.config import Settings
from services.capture.domain.backoff import Backoff
from services.capture.operations.context import AdminPorts
from services.capture.operations.health_reporter import HealthReporter
from services.capture.operations.sync.engine import SyncEngine
from services.capture.operations.sync.tuning import Lanes, Tuning
from services.capture.ports import ActivityPublisher, ProviderConnector
from services.capture.ports.health import HealthPublisher


def tuning_from(settings: Settings) -> Tuning:
    return Tuning(
        poll_interval_sec=settings.poll_interval_sec,
        error_retry_sec=settings.error_retry_sec,
        mailbox_refresh_sec=settings.mailbox_refresh_sec,
        max_requests_per_mailbox=settings.max_requests_per_mailbox,
        transient_retries=settings.transient_retries,
        max_throttle_waits=settings.max_throttle_waits,
        max_resyncs_in_a_row=settings.max_resyncs_in_a_row,
        backoff=Backoff(initial_sec=settings.backoff_initial_sec, max_sec=settings.backoff_max_sec),
        subscription_lifetime=timedelta(minutes=settings.subscription_minutes),
        push_enabled=bool(settings.public_base_url),
        max_empty_pages=settings.max_empty_pages,
        max_pages_per_pass=settings.max_pages_per_pass,
        pass_timeout_sec=settings.pass_timeout_sec,
        stale_after_polls=settings.stale_after_polls,
        pipeline_depth=settings.pipeline_depth,
    )


def build_engine(
    settings: Settings,
    *,
    pool: Pool,
    secrets: SecretBox,
    connectors: Mapping[activity_pb2.Provider.ValueType, ProviderConnector],
    publisher: ActivityPublisher,
) -> SyncEngine:
    """The sync engine on capture's pool, publishing through `publisher`; not started."""
    return SyncEngine(
        store=PostgresSyncStore(pool, secrets),
        connectors=connectors,
        publisher=publisher,
        tuning=tuning_from(settings),
        lanes=Lanes(backfill=settings.backfill_concurrency, incremental=settings.incremental_concurrency),
        metrics=MailboxCounters,
    )


def build_admin_servicer(*, pool: Pool, secrets: SecretBox, engine: SyncEngine) -> CaptureAdminServicer:
    """CaptureAdmin on capture's pool, sealing with `secrets` and steering `engine`."""
    return CaptureAdminServicer(AdminPorts(store=PostgresAdminStore(pool), secrets=secrets, sync=engine))


def build_health_reporter(
    settings: Settings, *, pool: Pool, engine: SyncEngine, publisher: HealthPublisher
) -> HealthReporter:
    """Capture's health topic, fed from the engine's live statuses; not started."""
    return HealthReporter(
        statuses=engine.statuses,
        publisher=publisher,
        store=PostgresHealthStore(pool),
        clock=lambda: datetime.now(UTC),
        stale_after_polls=settings.stale_after_polls,
        heartbeat_sec=settings.health_heartbeat_sec,
        check_sec=settings.health_check_sec,
    )
