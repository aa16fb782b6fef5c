"""Start what is not configured externally, and hand out the endpoints either way."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from plumbing.embedded.kafka import EmbeddedKafka, JavaMissing, kafka_classpath, require_java
from plumbing.embedded.postgres import EmbeddedPostgres
from plumbing.embedded.tansu import EmbeddedTansu

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InfrastructureEndpoints:
    database_url: str
    kafka_bootstrap_servers: str
    embedded_postgres: bool
    embedded_broker: bool
    broker_kind: str  # "Apache Kafka", "tansu" (make run without Java) or "external"


class Infrastructure:
    """A context manager over PostgreSQL and the broker.

    For each of them: use the external server when its URL is given, otherwise start an embedded one
    under `run_dir` and stop it on exit. The embedded broker is Apache Kafka; only with
    `allow_tansu_fallback` (`make run`, never the tests) does a machine without Java get the in-memory
    tansu broker instead, announced in one line.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        database_url: str | None = None,
        kafka_bootstrap_servers: str | None = None,
        durable: bool = True,
        allow_tansu_fallback: bool = False,
    ) -> None:
        self.run_dir = run_dir
        self.postgres = None if database_url else EmbeddedPostgres(run_dir / "pgdata", durable=durable)
        self.broker: EmbeddedKafka | EmbeddedTansu | None = None
        if not kafka_bootstrap_servers:
            self.broker = _embedded_broker(run_dir, allow_tansu_fallback=allow_tansu_fallback)
        self._database_url = database_url
        self._bootstrap_servers = kafka_bootstrap_servers
        self._endpoints: InfrastructureEndpoints | None = None

    @property
    def endpoints(self) -> InfrastructureEndpoints:
        if self._endpoints is None:
            raise RuntimeError("infrastructure not started")
        return self._endpoints

    @classmethod
    def from_environment(
        cls, run_dir: Path, *, durable: bool = True, allow_tansu_fallback: bool = False
    ) -> Infrastructure:
        return cls(
            run_dir,
            database_url=os.environ.get("DATABASE_URL") or None,
            kafka_bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            durable=durable,
            allow_tansu_fallback=allow_tansu_fallback,
        )

    def start(self) -> InfrastructureEndpoints:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        try:
            database_url = self.postgres.start() if self.postgres else self._database_url
            bootstrap = self.broker.start() if self.broker else self._bootstrap_servers
        except BaseException:
            self.stop()
            raise
        assert database_url is not None and bootstrap is not None
        self._endpoints = InfrastructureEndpoints(
            database_url=database_url,
            kafka_bootstrap_servers=bootstrap,
            embedded_postgres=self.postgres is not None,
            embedded_broker=self.broker is not None,
            broker_kind=_kind(self.broker),
        )
        return self._endpoints

    def stop(self) -> None:
        if self.broker:
            self.broker.stop()
        if self.postgres:
            self.postgres.stop()

    def __enter__(self) -> InfrastructureEndpoints:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _embedded_broker(run_dir: Path, *, allow_tansu_fallback: bool) -> EmbeddedKafka | EmbeddedTansu:
    try:
        require_java()
        kafka_classpath()
    except JavaMissing as missing:
        if not allow_tansu_fallback:
            raise
        print(
            f"Falling back to the in-memory tansu broker (nothing survives a restart): {missing}", flush=True
        )
        return EmbeddedTansu(run_dir)
    return EmbeddedKafka(run_dir)


def _kind(broker: EmbeddedKafka | EmbeddedTansu | None) -> str:
    if broker is None:
        return "external"
    return "Apache Kafka" if isinstance(broker, EmbeddedKafka) else "tansu"
