"""Capture settings (environment prefix GT_CAPTURE_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GT_CAPTURE_", frozen=True, extra="ignore")

    # Loopback by default: nothing of this service is reachable from another machine unless the
    # deployment says so (Kubernetes sets 0.0.0.0 in its ConfigMap).
    host: str = "127.0.0.1"
    grpc_port: int = 50053
    http_port: int = 8081
    db_pool_size: int = 10

    # Fernet keys (url-safe base64, 32 bytes), comma-separated: the first encrypts, all decrypt, so a
    # key can be rotated. Without one, connections cannot be registered (secrets are never stored
    # in clear).
    secret_keys: SecretStr | None = None

    # Where providers reach the webhooks (behind the ingress in production). Empty: no push
    # subscriptions, polling only.
    public_base_url: str = ""

    # Scheduling.
    poll_interval_sec: float = 300.0  # the safety net when notifications are missed
    error_retry_sec: float = 300.0  # a mailbox in the error state is retried this often
    mailbox_refresh_sec: float = 10.0  # how often the engine re-reads the registered mailboxes
    max_requests_per_mailbox: int = 4  # Graph's per-mailbox concurrency limit
    backfill_concurrency: int = 32  # pages of full rounds in flight, process-wide (bounds memory)
    incremental_concurrency: int = 32  # pages of incremental rounds in flight; never waits on backfills
    transient_retries: int = 5  # 5xx/timeouts retried this many times before the pass gives up
    max_throttle_waits: int = 50  # Retry-After honoured this many times in one pass
    backoff_initial_sec: float = 1.0
    backoff_max_sec: float = 60.0
    max_resyncs_in_a_row: int = 1  # expired cursor: resync once; expired again: error state
    max_empty_pages: int = 20  # empty pages with a link, in a row, before the chain is cut (stale)
    max_pages_per_pass: int = 20_000  # pages of one stream in one pass before it is cut (stale)
    pass_timeout_sec: float = 1800.0  # a pass still running after this is cut (stale): a hanging provider
    stale_after_polls: float = 3.0  # no successful pass for this many poll intervals: stale
    # Pages of one chain in flight at once: the next page is read while the current one is published
    # and committed (commits stay in page order). 1 reads a page only after the previous one's commit.
    pipeline_depth: int = Field(default=2, ge=1, le=16)
    # Health on gt.capture.health.v1: changes go out within `health_check_sec`, every mailbox's state
    # every `health_heartbeat_sec` (scoring reads a mailbox without a fresh record as "not reporting").
    health_check_sec: float = 1.0
    health_heartbeat_sec: float = 120.0

    # Calendar window (moving it restarts the calendar chain, once per step).
    calendar_days_back: int = 30
    calendar_days_ahead: int = 90
    calendar_window_step_days: int = 7

    # Push subscriptions.
    subscription_minutes: int = 4230  # requested lifetime; valid for every documented Graph maximum

    # Microsoft 365. The authority, Graph URL and CA bundle let the emulator stand in for Microsoft.
    microsoft_authority_base: str = "https://login.microsoftonline.com"
    microsoft_graph_base_url: str = "https://graph.microsoft.com/v1.0"
    microsoft_ca_bundle: str = ""  # PEM file to trust instead of the system store
    microsoft_page_size: int = 100  # Prefer: odata.maxpagesize
    microsoft_timeout_sec: float = 30.0

    # Google Workspace. The token URI and API endpoints let the emulator stand in for Google (empty:
    # the real Google; the token URI then comes from the service-account key).
    google_token_uri: str = ""
    google_gmail_endpoint: str = ""  # the SDK's api_endpoint for Gmail: an origin
    google_calendar_endpoint: str = ""  # for Calendar it must end in /calendar/v3/
    google_gmail_page_size: int = 100  # messages.list / history.list maxResults
    google_calendar_page_size: int = 250  # events.list maxResults
    google_mail_backfill_days: int = 90  # how far back a Gmail full sync reads (0: everything)
    # Worker threads running google-api-python-client, per connection. Each thread has one request in
    # flight, so they bound a backfill's requests in flight: with 8 capture reached 0.36 of the
    # benchmark's fair client, with 16 0.84 (docs/capture.md, Benchmark). Each thread holds its own
    # parsed discovery documents: 32 did no better than 16 and raised peak RSS to 214 MB.
    google_api_threads: int = 16
    google_timeout_sec: float = 30.0
    # Gmail push: the Pub/Sub topic users.watch publishes to (empty: no Gmail watch, polling only),
    # and the token the Pub/Sub push subscription appends to its endpoint URL (?token=...).
    google_pubsub_topic: str = ""
    google_pubsub_token: SecretStr | None = None
