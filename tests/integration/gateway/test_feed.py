"""The write-back feed: pages after a cursor, acks, resume after a crash, the gRPC stream."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest

from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from services.gateway.domain.principal import Role
from tests.integration.gateway.conftest import GatewayUnderTest
from tests.integration.gateway.fakes import matched
from tests.integration.platform import TEST_CURSORS

pytestmark = pytest.mark.integration
TENANT = "globex"  # the matrix test seeds acme's feed; this module owns globex's


@pytest.fixture
def feed(gateway_env: GatewayUnderTest) -> Iterator[list[int]]:
    """Five matched activities in globex's feed (sequences 1..5); restored afterwards."""
    scoring = gateway_env.upstreams.scoring
    saved = scoring.feed.get(TENANT, [])
    scoring.feed[TENANT] = [matched(TENANT, seq) for seq in range(1, 6)]
    yield [1, 2, 3, 4, 5]
    scoring.feed[TENANT] = saved


def ids(page: dict[str, Any]) -> list[int]:
    return [a["feed_sequence"] for a in page["activities"]]


async def test_a_plugin_that_crashes_resumes_from_its_last_ack(
    gateway_env: GatewayUnderTest, feed: list[int]
) -> None:
    env = gateway_env
    headers = env.headers(TENANT, Role.PLUGIN)
    params = {"subscription": "crash-test", "page_size": "2"}
    async with httpx.AsyncClient(base_url=env.url) as client:
        first = (await client.get("/v1/feed", params=params, headers=headers)).json()
        second = (
            await client.get("/v1/feed", params={**params, "cursor": first["cursor"]}, headers=headers)
        ).json()
        assert ids(first) == [1, 2] and ids(second) == [3, 4]
        acked = await client.post(
            "/v1/feed/ack", json={"subscription": "crash-test", "cursor": first["cursor"]}, headers=headers
        )
        assert acked.status_code == 200 and acked.json()["acked_cursor"] == first["cursor"]
        # The plugin crashes after reading page 2 without acking it; it restarts without a cursor.
        resumed = (await client.get("/v1/feed", params=params, headers=headers)).json()
        assert ids(resumed) == [3, 4]  # nothing missed; only the unacked page comes again
        assert resumed["acked_cursor"] == first["cursor"]
        rest = (
            await client.get("/v1/feed", params={**params, "cursor": resumed["cursor"]}, headers=headers)
        ).json()
        assert ids(rest) == [5]
        caught_up = (
            await client.get("/v1/feed", params={**params, "cursor": rest["cursor"]}, headers=headers)
        ).json()
        assert ids(caught_up) == [] and caught_up["cursor"] == rest["cursor"]

        # Acks never move backwards; other subscriptions keep their own position.
        await client.post(
            "/v1/feed/ack", json={"subscription": "crash-test", "cursor": rest["cursor"]}, headers=headers
        )
        stale = await client.post(
            "/v1/feed/ack", json={"subscription": "crash-test", "cursor": first["cursor"]}, headers=headers
        )
        assert stale.json()["acked_cursor"] == rest["cursor"]
        other = (
            await client.get(
                "/v1/feed", params={"subscription": "another", "page_size": "10"}, headers=headers
            )
        ).json()
        assert ids(other) == feed


async def test_bad_cursors_and_upstream_outages_are_clear_errors(
    gateway_env: GatewayUnderTest, feed: list[int]
) -> None:
    env = gateway_env
    headers = env.headers(TENANT, Role.PLUGIN)
    async with httpx.AsyncClient(base_url=env.url) as client:
        bad = await client.get("/v1/feed", params={"cursor": "not-a-cursor"}, headers=headers)
        bad_ack = await client.post("/v1/feed/ack", json={"cursor": "bm90IG91cnM"}, headers=headers)
        # Well-formed but not ours: made up, signed for another subscription, or for another tenant.
        made_up = "c1." + "A" * 32
        other_subscription = TEST_CURSORS.feed_cursor(tenant_id=TENANT, subscription="other", sequence=1)
        other_tenant = TEST_CURSORS.feed_cursor(tenant_id="acme", subscription="default", sequence=1)
        forged = [
            await client.get("/v1/feed", params={"cursor": cursor}, headers=headers)
            for cursor in (made_up, other_subscription, other_tenant)
        ] + [
            await client.post("/v1/feed/ack", json={"cursor": cursor}, headers=headers)
            for cursor in (made_up, other_subscription, other_tenant)
        ]
        env.upstreams.scoring.unavailable = True
        try:
            down = await client.get("/v1/feed", headers=headers)
        finally:
            env.upstreams.scoring.unavailable = False
    # A malformed cursor breaks the published pattern (422); a forged one its signature (400).
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]
    assert bad_ack.status_code == 422
    assert [r.status_code for r in forged] == [400] * 6, [r.text for r in forged]
    assert all("cursor" in r.json()["detail"] for r in forged)
    assert down.status_code == 503 and down.headers["Retry-After"]
    assert down.headers["content-type"] == "application/problem+json"


async def test_grpc_stream_delivers_new_activities_as_they_arrive(
    gateway_env: GatewayUnderTest, feed: list[int]
) -> None:
    env = gateway_env
    metadata = env.metadata(TENANT, Role.PLUGIN)
    async with grpc.aio.insecure_channel(env.grpc_target) as channel:
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        stream = stub.StreamFeed(
            gateway_pb2.StreamFeedRequest(subscription="stream", page_size=3), metadata=metadata
        )
        first = await asyncio.wait_for(stream.read(), timeout=5)
        second = await asyncio.wait_for(stream.read(), timeout=5)
        assert isinstance(first, gateway_pb2.FeedPage) and isinstance(second, gateway_pb2.FeedPage)
        assert [a.feed_sequence for a in first.activities] == [1, 2, 3]
        assert [a.feed_sequence for a in second.activities] == [4, 5]
        env.upstreams.scoring.feed[TENANT].append(matched(TENANT, 6))
        third = await asyncio.wait_for(stream.read(), timeout=5)
        assert isinstance(third, gateway_pb2.FeedPage)
        assert [a.feed_sequence for a in third.activities] == [6]
        ack = await stub.AckFeed(
            gateway_pb2.AckFeedRequest(subscription="stream", cursor=second.cursor), metadata=metadata
        )
        assert ack.acked_cursor == second.cursor
        stream.cancel()

        resumed = stub.StreamFeed(gateway_pb2.StreamFeedRequest(subscription="stream"), metadata=metadata)
        page = await asyncio.wait_for(resumed.read(), timeout=5)
        assert isinstance(page, gateway_pb2.FeedPage)
        assert [a.feed_sequence for a in page.activities] == [6]
        resumed.cancel()

        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.ReadFeed(gateway_pb2.ReadFeedRequest(cursor="###"), metadata=metadata)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
