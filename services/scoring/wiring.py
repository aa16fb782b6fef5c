"""Which adapter stands behind which port: the scoring operations on PostgreSQL and Kafka.

`app.py` runs them (start-up, background loops, servers, shutdown); the tests build the same pieces
here on their own pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from plumbing.db.pool import Pool, connect_alone
from plumbing.kafka.producer import create_producer
from plumbing.sealed_secrets import SecretSeal
from services.scoring.adapters.capture_health_consumer import CaptureHealthProcessor
from services.scoring.adapters.event_consumer import ScoringEventProcessor
from services.scoring.adapters.grpc_admin import ScoringAdminServicer
from services.scoring.adapters.grpc_query import ScoringQueryServicer
from services.scoring.adapters.kafka_relay import KafkaRelayPublisher
from services.scoring.adapters.metrics import PrometheusScoringMetrics
from services.scoring.adapters.pg_capture_health import PostgresCaptureHealthStore
from services.scoring.adapters.pg_erasure import PgErasure
from services.scoring.adapters.pg_ingest_store import PgIngestStore
from services.scoring.adapters.pg_notifications import PgNotifications
from services.scoring.adapters.pg_read_models import PgCrmReads
from services.scoring.adapters.pg_relay import PgRelayStore
from services.scoring.adapters.pg_rescore_claims import PgRescoreClaims
from services.scoring.adapters.pg_score_reads import PgScoreReads
from services.scoring.adapters.pg_scores import PgScoreStore
from services.scoring.adapters.pg_settings import PgConfigStore
from services.scoring.adapters.pg_tenant_views import PgTenantViews
from services.scoring.domain.instants import datetime_to_us
from services.scoring.operations.admin import ScoringAdmin
from services.scoring.operations.ingest import IngestService
from services.scoring.operations.notifications import FeedbackNotes, NotificationRelay
from services.scoring.operations.queries import ScoringQueries
from services.scoring.operations.relay import Relays
from services.scoring.operations.reports import CrmReports
from services.scoring.operations.rescore import RescoreService
from services.scoring.operations.settings import SettingsCache, SettingsReader
from services.scoring.operations.tenant_views import TenantViews
from services.scoring.ports import RescoreClaims
from services.scoring.ports.notifications import MailSender, WebhookSender


def now() -> datetime:
    return datetime.now(UTC)


def now_us() -> int:
    return datetime_to_us(now())


def build_processor(
    pool: Pool,
    *,
    rematch_horizon_days: int = 90,
    clock: Callable[[], int] = now_us,
    after_commit: Callable[[], None] | None = None,
    tenant_settings: SettingsCache | None = None,
) -> ScoringEventProcessor:
    """The consumer's processor: both input topics, applied through the PostgreSQL store."""
    ingest = IngestService(
        PgIngestStore(pool),
        now_us=clock,
        rematch_horizon_days=rematch_horizon_days,
        settings=tenant_settings,
    )
    return ScoringEventProcessor(ingest, after_commit=after_commit)


def build_rescore(
    pool: Pool,
    *,
    now: Callable[[], datetime] = now,
    tenant_settings: SettingsCache | None = None,
    dedupe_retention: timedelta = timedelta(days=35),
    mail: bool = False,
    capture_report_max_age: timedelta = timedelta(minutes=15),
    claims: RescoreClaims | None = None,
) -> RescoreService:
    """Rescoring on the PostgreSQL store; a full pass also creates the day's digests and alerts
    (`mail`: whether e-mail is configured, so the data stewards are a target). `claims` share the
    periodic passes with the deployment's other processes (`rescore_claims`); without, it is alone."""
    views = PgTenantViews(pool)
    return RescoreService(
        PgScoreStore(pool),
        TenantViews(views, views),
        SettingsReader(PgConfigStore(pool), tenant_settings or SettingsCache()),
        now=now,
        dedupe_retention=dedupe_retention,
        metrics=PrometheusScoringMetrics(),
        feedback=FeedbackNotes(PgNotifications(pool), mail=mail),
        capture_report_max_age=capture_report_max_age,
        claims=claims,
    )


def rescore_claims(database_url: str, *, schema: str) -> PgRescoreClaims:
    """Per-tenant rescore claims on a connection of their own (session-level locks never pooled)."""
    return PgRescoreClaims(lambda: connect_alone(database_url, schema=schema, purpose="scoring-rescore"))


def build_weekly_digests(
    pool: Pool, *, tenant_settings: SettingsCache, mail: bool, grace: timedelta
) -> Callable[[datetime], Awaitable[int]]:
    """The weekly digests made by time (not only after Monday's rescore): call it periodically."""
    feedback = FeedbackNotes(PgNotifications(pool), mail=mail, digest_grace=grace)
    settings = SettingsReader(PgConfigStore(pool), tenant_settings)
    return lambda at: feedback.digests_due(settings, at)


def build_notification_relay(
    pool: Pool,
    *,
    tenant_settings: SettingsCache,
    webhooks: WebhookSender,
    mail: MailSender | None,
    webhook_secret_keys: SecretStr | None = None,
) -> NotificationRelay:
    """Delivery of the stored digests and alerts to webhooks (their sealed secrets opened with
    `webhook_secret_keys`) and e-mail."""
    settings = SettingsReader(PgConfigStore(pool), tenant_settings)
    seal = SecretSeal(webhook_secret_keys, setting="GT_SCORING_WEBHOOK_SECRET_KEYS")
    return NotificationRelay(
        PgNotifications(pool), settings, webhooks, mail, open_secret=seal.open if seal.available else None
    )


# A relay page is up to `relay_batch_size` records. With aiokafka's default 16 KiB batches it went
# out as a hundred-odd produce requests one after the other; 256 KiB batches send it in a few, which
# halved the relay's CPU per record and cut the broker's (docs/scoring.md, Benchmark).
RELAY_BATCH_BYTES = 256 * 1024


def build_relay_producer(bootstrap_servers: str, *, enable_idempotence: bool) -> AIOKafkaProducer:
    """The relays' own producer (unstarted): big batches for their big pages, and nothing else's
    records queue behind a page (dead letters and the service's other records use the shared one)."""
    return create_producer(
        bootstrap_servers,
        enable_idempotence=enable_idempotence,
        client_id="scoring-relay",
        max_batch_size=RELAY_BATCH_BYTES,
    )


def build_relays(
    database_url: str,
    producer: AIOKafkaProducer,
    *,
    schema: str,
    matched_topic: str,
    scores_topic: str,
    batch_size: int,
    interval_sec: float,
) -> Relays:
    """The relays from the PostgreSQL outbox to the Kafka topics, on a connection of their own."""
    publisher = KafkaRelayPublisher(producer, scores_topic=scores_topic, matched_topic=matched_topic)
    return Relays(
        PgRelayStore(lambda: connect_alone(database_url, schema=schema, purpose="scoring-relay")),
        publisher,
        batch_size=batch_size,
        interval_sec=interval_sec,
        metrics=PrometheusScoringMetrics(),
    )


def build_servicers(
    pool: Pool, *, tenant_settings: SettingsCache, relays: Relays, rescore: RescoreService
) -> tuple[ScoringQueryServicer, ScoringAdminServicer]:
    """The two gRPC services, on the PostgreSQL read models."""
    settings = SettingsReader(PgConfigStore(pool), tenant_settings)
    facts = PgTenantViews(pool)
    queries = ScoringQueries(PgScoreReads(pool), facts, settings)
    reports = CrmReports(PgCrmReads(pool), facts, settings, today=lambda: now().date(), now=now)
    admin = ScoringAdmin(PgErasure(pool), relays, rescore)
    return ScoringQueryServicer(queries, reports, PgNotifications(pool)), ScoringAdminServicer(admin)


def build_capture_health_processor(pool: Pool) -> CaptureHealthProcessor:
    """The health topic's processor: capture's latest word per mailbox, in the PostgreSQL store."""
    return CaptureHealthProcessor(PostgresCaptureHealthStore(pool))
