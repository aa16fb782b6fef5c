"""Scoring settings (environment prefix GT_SCORING_)."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GT_SCORING_", frozen=True, extra="ignore")

    # Loopback by default: nothing of this service is reachable from another machine unless the
    # deployment says so (Kubernetes sets 0.0.0.0 in its ConfigMap).
    host: str = "127.0.0.1"
    grpc_port: int = 50052
    http_port: int = 8082
    consumer_group: str = "scoring"
    max_batch_size: int = 5000
    max_batch_time_ms: int = 200
    db_pool_size: int = 10
    # Activity older than this is not re-matched when CRM records change (bounds the work).
    rematch_horizon_days: int = 90
    # How often changed reps are rescored, and how many reps one rescore pass takes at most.
    rescore_interval_sec: float = 30.0
    # How often the write-back feed and changed scores are relayed to Kafka when idle.
    relay_interval_sec: float = 1.0
    relay_batch_size: int = 2000
    # How often tables that grew a lot get fresh planner statistics (autovacuum lags during backfills).
    statistics_interval_sec: float = 60.0
    # CRM event dedupe keys are kept this long (longer than the input topics' 14-day retention).
    dedupe_retention_days: int = 35
    # Capture's health (gt.capture.health.v1): a mailbox whose last report is older than this reads
    # "not reporting" (unknown), never healthy. Several of capture's heartbeats (120 s by default).
    capture_report_max_age_sec: float = 900.0
    # Digests and alerts (docs/operations.md): how often due deliveries are attempted, and the SMTP
    # server the data stewards' e-mail goes through (empty host: no e-mail, webhooks only).
    notify_interval_sec: float = 10.0
    smtp_host: str = ""
    smtp_port_number: int = 25
    smtp_from: str = "groundtruth@localhost"
    smtp_starttls: bool = False
    # Fernet keys opening the webhook secrets the gateway sealed (the same as
    # GT_GATEWAY_WEBHOOK_SECRET_KEYS); unset: sealed secrets cannot sign, deliveries fail and say so.
    webhook_secret_keys: SecretStr | None = None
    # The weekly digest is made by time (docs/operations.md): checked this often, and made without
    # waiting for Monday's rescore once this many hours of Monday (UTC) have passed.
    digest_interval_sec: float = 60.0
    digest_grace_hours: float = 6.0
