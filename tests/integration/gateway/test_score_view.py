"""Score reads come from the gateway's view of gt.scores.v1 once scoring relayed a score there, and
from scoring (the fake upstream here, adoption 72.5) for reps the topic does not hold."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from groundtruth.scoring.v1 import scoring_pb2
from plumbing.embedded import InfrastructureEndpoints
from plumbing.embedded.mesh_ca import MeshFiles
from plumbing.kafka.records import protobuf_headers, record_key
from services.gateway.app import running_gateway
from services.gateway.domain.principal import Role
from tests.conftest import eventually
from tests.integration.conftest import TEST_SERVICE
from tests.integration.gateway.conftest import (
    GatewayUnderTest,
    gateway_settings,
    isolated_environment,
    seed_tenants,
)
from tests.integration.gateway.fakes import running_upstreams

pytestmark = pytest.mark.integration
UPSTREAM_ADOPTION = 72.5  # what the fake scoring answers for every rep


@pytest.fixture(scope="module")
async def gateway_env(endpoints: InfrastructureEndpoints, mesh: MeshFiles) -> AsyncIterator[GatewayUnderTest]:
    """A gateway of its own, with the score view on (the package's shared gateway runs without)."""
    async with (
        isolated_environment(endpoints, mesh) as isolated,
        running_upstreams(["acme", "globex"], tls=isolated.mesh.tls(TEST_SERVICE)) as upstreams,
        running_gateway(gateway_settings(isolated, upstreams.target, score_view_max_entries=1000)) as running,
    ):
        yield GatewayUnderTest(running, upstreams, isolated, await seed_tenants(running))


async def publish(env: GatewayUnderTest, tenant: str, rep: str, score: scoring_pb2.RepScore | None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=env.isolated.bootstrap_servers)
    await producer.start()
    try:
        value = score.SerializeToString() if score is not None else None
        headers = protobuf_headers(scoring_pb2.RepScore()) if score is not None else []
        await producer.send_and_wait(
            env.isolated.topics.scores, value, key=record_key(tenant, rep), headers=headers
        )
    finally:
        await producer.stop()


async def rest_adoption(env: GatewayUnderTest, tenant: str, rep: str) -> float:
    async with httpx.AsyncClient(base_url=env.url) as client:
        answer = await client.get(f"/v1/reps/{rep}/score", headers=env.headers(tenant, Role.ADMIN))
    assert answer.status_code == 200, answer.text
    return float(answer.json()["adoption_score"])


async def grpc_adoption(env: GatewayUnderTest, tenant: str, rep: str) -> float:
    async with grpc.aio.insecure_channel(env.grpc_target) as channel:
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        score = await stub.GetRepScore(
            gateway_pb2.GetRepScoreRequest(rep_id=rep), metadata=env.metadata(tenant, Role.ADMIN)
        )
    return score.adoption_score


async def test_a_relayed_score_is_served_from_the_view_per_tenant_until_its_tombstone(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    assert await rest_adoption(env, "acme", "rep-2") == UPSTREAM_ADOPTION
    relayed = scoring_pb2.RepScore(tenant_id="acme", rep_id="rep-2", adoption_score=91.0, team_id="east")
    await publish(env, "acme", "rep-2", relayed)

    async def served_from_view() -> bool:
        return await rest_adoption(env, "acme", "rep-2") == 91.0

    await eventually(served_from_view, timeout_sec=10)
    assert await grpc_adoption(env, "acme", "rep-2") == 91.0
    # The other tenant's rep of the same id is not touched.
    assert await rest_adoption(env, "globex", "rep-2") == UPSTREAM_ADOPTION

    await publish(env, "acme", "rep-2", None)

    async def back_to_scoring() -> bool:
        return await rest_adoption(env, "acme", "rep-2") == UPSTREAM_ADOPTION

    await eventually(back_to_scoring, timeout_sec=10)


async def test_a_record_keyed_for_one_tenant_carrying_another_is_not_served(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    view = env.running.gateway.score_view
    assert view is not None
    held_before = len(view.table)
    forged = scoring_pb2.RepScore(tenant_id="globex", rep_id="rep-3", adoption_score=5.0)
    await publish(env, "acme", "rep-3", forged)

    async def read_into_the_view() -> bool:
        return len(view.table) == held_before + 1

    await eventually(read_into_the_view, timeout_sec=10)
    assert await rest_adoption(env, "acme", "rep-3") == UPSTREAM_ADOPTION
    assert await rest_adoption(env, "globex", "rep-3") == UPSTREAM_ADOPTION
    await publish(env, "acme", "rep-3", None)
