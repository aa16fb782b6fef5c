"""Embedded infrastructure for `make run` and the tests: a real PostgreSQL server and Apache Kafka.

Both run as child processes on free loopback ports with their state under a run directory, and die
with their parent (see `process.spawn`). When `DATABASE_URL` or `KAFKA_BOOTSTRAP_SERVERS` is set,
`Infrastructure` uses that external server instead of starting one.
"""

from plumbing.embedded.infrastructure import Infrastructure, InfrastructureEndpoints

__all__ = ["Infrastructure", "InfrastructureEndpoints"]
