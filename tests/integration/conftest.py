"""Real infrastructure for integration tests: one PostgreSQL server and one broker per test session
(embedded, or the external ones named by DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS), with a fresh
database and a fresh topic namespace per test module so tests never see each other's data."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from plumbing.embedded import Infrastructure, InfrastructureEndpoints
from plumbing.embedded.mesh_ca import MeshFiles, issue_mesh
from plumbing.kafka.topics import Topics, ensure_topics
from plumbing.tls import MeshTls

# The test session's mesh identities: one the in-process services share, one for test clients.
TEST_SERVICE, TEST_CLIENT = "service", "client"


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infrastructure]:
    infra = Infrastructure.from_environment(Path(tmp_path_factory.mktemp("infra")), durable=False)
    infra.start()
    try:
        yield infra
    finally:
        infra.stop()


@pytest.fixture(scope="session")
def endpoints(infrastructure: Infrastructure) -> InfrastructureEndpoints:
    return infrastructure.endpoints


@pytest.fixture(scope="session")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> MeshFiles:
    """The session's certificate authority and certificates for internal gRPC (mutual TLS)."""
    return issue_mesh(tmp_path_factory.mktemp("mesh"), services=(TEST_SERVICE, TEST_CLIENT))


@dataclass(frozen=True)
class Isolated:
    """A database and a topic namespace that belong to one test module."""

    database_url: str
    bootstrap_servers: str
    namespace: str
    mesh: MeshFiles

    @property
    def topics(self) -> Topics:
        return Topics(namespace=self.namespace)

    def env(self) -> dict[str, str]:
        """Settings keyword arguments (by environment name) pointing a service here."""
        return {
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KAFKA_TOPIC_NAMESPACE": self.namespace,
            "KAFKA_SESSION_TIMEOUT_MS": "2000",
            **self.mesh.env(TEST_SERVICE),
        }

    @property
    def client_tls(self) -> MeshTls:
        """A test client's identity in the mesh, to call scoring's and capture's gRPC."""
        return self.mesh.tls(TEST_CLIENT)


async def create_database(server_url: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{name}"


async def drop_database(server_url: str, database_url: str) -> None:
    name = database_url.rpartition("/")[2]
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def isolated(endpoints: InfrastructureEndpoints, mesh: MeshFiles) -> AsyncIterator[Isolated]:
    database_url = await create_database(endpoints.database_url)
    namespace = f"t{uuid.uuid4().hex[:8]}."
    await ensure_topics(endpoints.kafka_bootstrap_servers, Topics(namespace=namespace))
    try:
        yield Isolated(database_url, endpoints.kafka_bootstrap_servers, namespace, mesh)
    finally:
        await drop_database(endpoints.database_url, database_url)
