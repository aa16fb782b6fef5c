"""One gateway for the gateway tests: real PostgreSQL and broker, fake scoring/capture upstreams,
and two tenants (acme, globex) with the same teams, reps and a key of every role."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from plumbing.embedded import InfrastructureEndpoints
from plumbing.embedded.mesh_ca import MeshFiles
from plumbing.embedded.process import free_port
from plumbing.kafka.topics import Topics, ensure_topics
from services.gateway.admin import keys
from services.gateway.app import RunningGateway, running_gateway
from services.gateway.config import Settings
from services.gateway.domain.principal import Principal, Role
from services.gateway.operations import configuration
from tests.integration.conftest import TEST_SERVICE, Isolated, create_database, drop_database
from tests.integration.gateway.events import team_config
from tests.integration.gateway.fakes import Upstreams, running_upstreams
from tests.integration.platform import TEST_API_KEY_PEPPER, TEST_WEBHOOK_SECRET_KEYS

TENANTS = ["acme", "globex"]
REP_OF = {Role.MANAGER: "mgr-1", Role.REP: "rep-1"}


@dataclass
class GatewayUnderTest:
    running: RunningGateway
    upstreams: Upstreams
    isolated: Isolated
    keys: dict[tuple[str, Role], str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.running.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.running.grpc_port}"

    def headers(self, tenant: str, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[(tenant, role)]}"}

    def metadata(self, tenant: str, role: Role) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.keys[(tenant, role)]}"),)


def gateway_settings(isolated: Isolated, upstream_target: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        **isolated.env(),
        "host": "127.0.0.1",
        "http_port": free_port(),
        "grpc_port": free_port(),
        "scoring_target": upstream_target,
        "capture_target": upstream_target,
        "api_key_pepper": SecretStr(TEST_API_KEY_PEPPER),
        "webhook_secret_keys": SecretStr(TEST_WEBHOOK_SECRET_KEYS),
        "rate_limit_per_sec": 10_000.0,
        "rate_limit_burst": 10_000,
        "feed_poll_interval_sec": 0.05,
        "upstream_timeout_sec": 2.0,
        "score_cache_ttl_sec": 0.0,  # every read reaches the fake upstream, so tests see each call
        # No score view either (tests/integration/gateway/test_score_view.py runs its own gateway with
        # it): its consumer's use of the global `random` would also disturb schemathesis' generation.
        "score_view_max_entries": 0,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


async def seed_tenants(running: RunningGateway) -> dict[tuple[str, Role], str]:
    gw = running.gateway
    issued: dict[tuple[str, Role], str] = {}
    for tenant in TENANTS:
        first = await keys.create_tenant(gw.pool, pepper=gw.pepper, tenant_id=tenant, name=tenant.title())
        issued[(tenant, Role.ADMIN)] = first.plaintext
        for role in (Role.MANAGER, Role.REP, Role.PLUGIN):
            created = await keys.issue_key(
                gw.pool, pepper=gw.pepper, tenant_id=tenant, name=f"test {role}", role=role,
                rep_id=REP_OF.get(role), created_by="test",
            )  # fmt: skip
            issued[(tenant, role)] = created.plaintext
        admin_principal = Principal(tenant_id=tenant, key_id=first.record.key_id, role=Role.ADMIN)
        await configuration.set_config(gw.operations, admin_principal, team_config(), expected_version=None)
    return issued


@contextlib.asynccontextmanager
async def isolated_environment(
    endpoints: InfrastructureEndpoints, mesh: MeshFiles
) -> AsyncIterator[Isolated]:
    database_url = await create_database(endpoints.database_url)
    namespace = f"g{uuid.uuid4().hex[:8]}."
    await ensure_topics(endpoints.kafka_bootstrap_servers, Topics(namespace=namespace))
    try:
        yield Isolated(database_url, endpoints.kafka_bootstrap_servers, namespace, mesh)
    finally:
        await drop_database(endpoints.database_url, database_url)


@pytest.fixture(scope="package")
async def gateway_env(endpoints: InfrastructureEndpoints, mesh: MeshFiles) -> AsyncIterator[GatewayUnderTest]:
    async with (
        isolated_environment(endpoints, mesh) as isolated,
        running_upstreams(TENANTS, tls=isolated.mesh.tls(TEST_SERVICE)) as upstreams,
        running_gateway(gateway_settings(isolated, upstreams.target)) as running,
    ):
        yield GatewayUnderTest(running, upstreams, isolated, await seed_tenants(running))
