"""Gateway settings (environment prefix GT_GATEWAY_)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from plumbing.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GT_GATEWAY_", frozen=True, extra="ignore")

    # Loopback by default: nothing of this service is reachable from another machine unless the
    # deployment says so (Kubernetes sets 0.0.0.0 in its ConfigMap).
    host: str = "127.0.0.1"
    http_port: int = 8080
    grpc_port: int = 50051
    scoring_target: str = "127.0.0.1:50052"
    capture_target: str = "127.0.0.1:50053"
    upstream_timeout_sec: float = 5.0
    # How long CRM ingest waits for the broker's acknowledgement before answering 503 + Retry-After:
    # well inside a plugin's own HTTP timeout, so a broker outage is refused rather than left hanging.
    ingest_publish_timeout_sec: float = 10.0
    db_pool_size: int = 10

    # The server-side key of the HMAC that API keys are stored under (see domain/api_keys.py).
    # Required: without it no key can be verified. Rotating it invalidates every key.
    api_key_pepper: SecretStr = Field(min_length=16)
    # Fernet keys sealing tenants' webhook signing secrets at rest (comma-separated: the first seals,
    # all open; the same keys as GT_SCORING_WEBHOOK_SECRET_KEYS). Unset: webhooks cannot be stored.
    webhook_secret_keys: SecretStr | None = None
    # The HMAC key short-lived bearer tokens (POST /v1/auth/token) are signed with. Optional: when
    # unset it is derived from the pepper (domain/tokens.py); set it to rotate tokens on their own.
    # Every replica must use the same one. Rotating it ends every token, never an API key.
    token_signing_key: SecretStr | None = Field(default=None, min_length=32)
    # The HMAC key feed cursors and page tokens are signed with (domain/cursors.py): a cursor or
    # token is accepted only by gateways holding the key that issued it, for the tenant,
    # subscription or listing it was issued for. Optional: derived from the pepper when unset. Every
    # replica must use the same one; rotating it makes plugins resume from their last ack.
    cursor_signing_key: SecretStr | None = Field(default=None, min_length=32)
    # How long a token is valid; the page exchanges the key again (or asks for it) when it expires.
    token_ttl_sec: int = Field(default=900, ge=60, le=3600)

    # Limits. Rate limits are a token bucket per API key, per gateway process.
    rate_limit_per_sec: float = 50.0
    rate_limit_burst: int = 100
    max_body_bytes: int = 1_048_576
    max_batch_events: int = 500
    max_page_size: int = 500

    # A key's last-used time is written at most this often (and never on the request path).
    last_used_write_interval_sec: float = 60.0
    # How long a verified key (or a revocation) may be served from the in-process cache; a key
    # revoked on another replica stops working within this time, on this one at once.
    key_cache_ttl_sec: float = 5.0
    # How long the tenant configuration (teams, for managers' scope) is cached per process.
    config_cache_ttl_sec: float = 5.0
    idempotency_ttl_hours: int = 24
    # An unfinished Idempotency-Key claim older than this is taken over by the next retry of the same
    # request (its first attempt died); longer than any request runs (ingest waits at most
    # ingest_publish_timeout_sec for the broker).
    idempotency_lease_sec: float = Field(default=30.0, gt=0)
    # Rep scores are served from a per-process cache for this long (0 turns it off); scores change
    # only when scoring recomputes them. Erasing a rep evicts it at once.
    score_cache_ttl_sec: float = 1.0
    # Every rep's latest score is also kept in memory from the compacted topic gt.scores.v1 (see
    # adapters/score_view.py), up to this many reps per replica (about 1 KB each); 0 turns it off.
    # Reps beyond the limit, and reps not relayed yet, are read from scoring.
    score_view_max_entries: int = 50_000
    # The streaming feed asks scoring for new items this often while it is caught up.
    feed_poll_interval_sec: float = 1.0

    @field_validator("rate_limit_per_sec", "feed_poll_interval_sec", "key_cache_ttl_sec")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be positive")
        return value
