"""Settings every service reads, resolved once at start-up into a frozen object.

`DATABASE_URL` and `KAFKA_BOOTSTRAP_SERVERS` keep their conventional unprefixed names so that the
same variables switch every service (and `make run`) to external infrastructure.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from plumbing.kafka.topics import Topics


class ServiceSettings(BaseSettings):
    """Base for each service's `Settings`; subclasses add an `env_prefix` and their own fields."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    database_url: SecretStr = Field(validation_alias="DATABASE_URL")
    kafka_bootstrap_servers: str = Field(validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    # The embedded broker rejects InitProducerId, so idempotence is opt-in (on for real Kafka).
    # Correctness never depends on it: every consumer write is idempotent.
    kafka_enable_idempotence: bool = Field(default=False, validation_alias="KAFKA_ENABLE_IDEMPOTENCE")
    # Prefix for every topic name; empty in production, unique per test so tests never share topics.
    kafka_topic_namespace: str = Field(default="", validation_alias="KAFKA_TOPIC_NAMESPACE")
    # How long a silent consumer keeps its partitions. The embedded broker also waits about this long
    # before completing a rebalance (it does not act on LeaveGroup), so tests run with a short one.
    kafka_session_timeout_ms: int = Field(default=10_000, validation_alias="KAFKA_SESSION_TIMEOUT_MS")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(default=True, validation_alias="LOG_JSON")

    @property
    def topics(self) -> Topics:
        return Topics(namespace=self.kafka_topic_namespace)
