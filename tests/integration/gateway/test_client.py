"""The Python client and the example plugin loop against a live gateway."""

from __future__ import annotations

import grpc
import pytest

from services.client import GroundtruthClient
from services.client.example_plugin import Crm, sync
from services.gateway.domain.principal import Role
from tests.integration.gateway.conftest import GatewayUnderTest
from tests.integration.gateway.fakes import matched
from tests.integration.gateway.kafka import crm_events

pytestmark = pytest.mark.integration


async def test_example_plugin_writes_back_and_resumes_after_its_last_ack(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    env.upstreams.scoring.feed["acme"] = [matched("acme", seq) for seq in range(1, 6)]
    key = env.keys[("acme", Role.PLUGIN)]
    crm = Crm()
    async with GroundtruthClient(env.grpc_target, key) as client:
        pages = await sync(client, crm, subscription="example", max_pages=1)
        assert pages == 1
        first_page = set(crm.logged)
        env.upstreams.scoring.feed["acme"].append(matched("acme", 6))
        # A restart: a new loop resumes after the ack and writes back exactly the rest.
        resumed = Crm()
        await sync(client, resumed, subscription="example", max_pages=1)
        assert not first_page & set(resumed.logged)
        assert first_page | set(resumed.logged) == {f"act-acme-{seq}" for seq in range(1, 7)}
        score = await client.rep_score("rep-1")
        assert score.rep_id == "rep-1"
    written = [
        e
        for _, e in await crm_events(env.isolated.bootstrap_servers, env.isolated.topics.crm_events)
        if e.WhichOneof("payload") == "activity_logged"
        and e.activity_logged.source_activity_id.startswith("act-acme")
    ]
    assert {e.activity_logged.source_activity_id for e in written} >= set(crm.logged)


async def test_client_raises_what_it_cannot_retry(gateway_env: GatewayUnderTest) -> None:
    async with GroundtruthClient(gateway_env.grpc_target, "gt_not_a_key") as client:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.rep_score("rep-1")
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
