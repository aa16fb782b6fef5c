"""Settings every service reads, resolved once at start-up into a frozen object.

`DATABASE_URL` and `KAFKA_BOOTSTRAP_SERVERS` keep their conventional unprefixed names so that the
same variables switch every service (and `make run`) to external infrastructure.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from plumbing.kafka.topics import Topics
from plumbing.tls import MeshTls


class ServiceSettings(BaseSettings):
    """Base for each service's `Settings`; subclasses add an `env_prefix` and their own fields."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    database_url: SecretStr = Field(validation_alias="DATABASE_URL")
    kafka_bootstrap_servers: str = Field(validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    # Idempotent producers (with acks=all): a retried send after a lost acknowledgement is not written
    # twice. Correctness never depends on it (every consumer write is idempotent); it keeps the topics
    # free of copies. Off only for brokers without InitProducerId (the tansu fallback of `make run`).
    kafka_enable_idempotence: bool = Field(default=True, validation_alias="KAFKA_ENABLE_IDEMPOTENCE")
    # Prefix for every topic name; empty in production, unique per test so tests never share topics.
    kafka_topic_namespace: str = Field(default="", validation_alias="KAFKA_TOPIC_NAMESPACE")
    # How long a silent (crashed, frozen) consumer keeps its partitions before the group moves them;
    # a consumer that stops cleanly leaves the group at once. Tests that kill consumers use a short one.
    kafka_session_timeout_ms: int = Field(default=10_000, validation_alias="KAFKA_SESSION_TIMEOUT_MS")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(default=True, validation_alias="LOG_JSON")

    # Mutual TLS of internal gRPC (plumbing/tls.py): the mesh CA, this service's certificate and key.
    # Required by every service that serves or calls internal gRPC; `make run` and the tests create
    # them per run, cert-manager in Kubernetes.
    tls_ca_file: str = Field(default="", validation_alias="GT_TLS_CA_FILE")
    tls_cert_file: str = Field(default="", validation_alias="GT_TLS_CERT_FILE")
    tls_key_file: str = Field(default="", validation_alias="GT_TLS_KEY_FILE")

    @property
    def mesh_tls(self) -> MeshTls:
        """This service's mesh identity; `TlsNotConfigured` when the files are not named."""
        return MeshTls.from_settings(self.tls_ca_file, self.tls_cert_file, self.tls_key_file)

    @property
    def topics(self) -> Topics:
        return Topics(namespace=self.kafka_topic_namespace)
