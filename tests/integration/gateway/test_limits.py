"""Limits and refusals: keys, rate limits, body sizes, malformed and oversized gRPC messages."""

from __future__ import annotations

from typing import Any

import grpc
import httpx
import pytest

from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from plumbing.grpc_server import MAX_MESSAGE_BYTES
from services.gateway.adapters import key_store
from services.gateway.admin import keys
from services.gateway.app import running_gateway
from services.gateway.domain.principal import Role
from tests.integration.gateway.conftest import GatewayUnderTest, gateway_settings

pytestmark = pytest.mark.integration
SCORE = "/groundtruth.gateway.v1.Groundtruth/GetRepScore"


async def test_keys_that_are_missing_malformed_unknown_or_revoked_are_401(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    gw = env.running.gateway
    created = await keys.issue_key(
        gw.pool,
        pepper=gw.pepper,
        tenant_id="acme",
        name="soon revoked",
        role=Role.PLUGIN,
        rep_id=None,
        created_by="test",
    )
    valid = {"Authorization": f"Bearer {created.plaintext}"}
    forged = created.plaintext[:-4] + ("AAAA" if not created.plaintext.endswith("AAAA") else "BBBB")
    async with httpx.AsyncClient(base_url=env.url) as client:
        assert (await client.get("/v1/reps/rep-1/score", headers=valid)).status_code == 200
        answers = {
            "missing": await client.get("/v1/reps/rep-1/score"),
            "basic": await client.get("/v1/reps/rep-1/score", headers={"Authorization": "Basic eDp5"}),
            "malformed": await client.get("/v1/reps/rep-1/score", headers={"Authorization": "Bearer nope"}),
            "forged": await client.get("/v1/reps/rep-1/score", headers={"Authorization": f"Bearer {forged}"}),
        }
        revoke = await client.delete(
            f"/v1/admin/api-keys/{created.record.key_id}", headers=env.headers("acme", Role.ADMIN)
        )
        assert revoke.status_code == 200 and revoke.json()["revoked_at"]
        answers["revoked"] = await client.get("/v1/reps/rep-1/score", headers=valid)
    for name, response in answers.items():
        assert response.status_code == 401, name
        assert response.headers["WWW-Authenticate"] == "Bearer", name
        assert response.headers["content-type"] == "application/problem+json", name

    async with grpc.aio.insecure_channel(env.grpc_target) as channel:
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as revoked:
            await stub.GetRepScore(
                gateway_pb2.GetRepScoreRequest(rep_id="rep-1"),
                metadata=(("authorization", f"Bearer {created.plaintext}"),),
            )
    assert revoked.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_last_used_time_is_recorded_without_writing_per_request(gateway_env: GatewayUnderTest) -> None:
    env = gateway_env
    gw = env.running.gateway
    created = await keys.issue_key(
        gw.pool,
        pepper=gw.pepper,
        tenant_id="acme",
        name="usage",
        role=Role.PLUGIN,
        rep_id=None,
        created_by="test",
    )
    async with httpx.AsyncClient(base_url=env.url) as client:
        for _ in range(3):
            await client.get("/v1/readiness", headers={"Authorization": f"Bearer {created.plaintext}"})
    before_flush = await key_store.find_key(gw.pool, created.record.key_id)
    assert (
        before_flush is not None and before_flush.last_used_at is None
    )  # nothing written on the request path
    await gw.authenticator._last_used.flush()
    after = await key_store.find_key(gw.pool, created.record.key_id)
    assert after is not None and after.last_used_at is not None


async def test_rate_limit_answers_429_and_resource_exhausted_with_retry_after(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    settings = gateway_settings(
        env.isolated, env.upstreams.target, rate_limit_per_sec=0.2, rate_limit_burst=2
    )
    async with running_gateway(settings) as strict:
        headers = env.headers("acme", Role.PLUGIN)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{strict.http_port}") as client:
            answers = [await client.get("/v1/reps/rep-1/score", headers=headers) for _ in range(3)]
            other_key = await client.get("/v1/reps/rep-1/score", headers=env.headers("acme", Role.ADMIN))
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert int(answers[2].headers["Retry-After"]) >= 1
        assert answers[2].headers["content-type"] == "application/problem+json"
        assert other_key.status_code == 200  # buckets are per key
        async with grpc.aio.insecure_channel(f"127.0.0.1:{strict.grpc_port}") as channel:
            stub = gateway_pb2_grpc.GroundtruthStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as limited:
                await stub.GetRepScore(
                    gateway_pb2.GetRepScoreRequest(rep_id="rep-1"), metadata=env.metadata("acme", Role.PLUGIN)
                )
    assert limited.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    trailing = dict(limited.value.trailing_metadata() or ())
    assert int(trailing["retry-after"]) >= 1


async def test_request_bodies_above_the_limit_are_413(gateway_env: GatewayUnderTest) -> None:
    env = gateway_env
    headers = env.headers("acme", Role.PLUGIN)
    huge = b'{"events": [' + b'{"type": "user_login"},' * 60_000 + b"{}]}"

    async def chunks() -> Any:
        for start in range(0, len(huge), 65_536):
            yield huge[start : start + 65_536]

    async with httpx.AsyncClient(base_url=env.url) as client:
        declared = await client.post(
            "/v1/crm/events", content=huge, headers={**headers, "content-type": "application/json"}
        )
        streamed = await client.post(
            "/v1/crm/events", content=chunks(), headers={**headers, "content-type": "application/json"}
        )
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "larger than" in response.json()["detail"]


async def test_malformed_and_oversized_grpc_messages_get_proper_codes(gateway_env: GatewayUnderTest) -> None:
    env = gateway_env
    async with grpc.aio.insecure_channel(
        env.grpc_target, options=[("grpc.max_send_message_length", 8 * MAX_MESSAGE_BYTES)]
    ) as channel:
        raw: Any = channel.unary_unary(SCORE)  # bytes in, bytes out: no client-side serialization
        with pytest.raises(grpc.aio.AioRpcError) as malformed:
            await raw(b"\x0a\xff\xff\xff\x0f", metadata=env.metadata("acme", Role.ADMIN), timeout=5)
        with pytest.raises(grpc.aio.AioRpcError) as unauthenticated_garbage:
            await raw(b"\x0a\xff\xff\xff\x0f", timeout=5)
        oversized = gateway_pb2.IngestCrmEventsRequest(idempotency_key="x" * (MAX_MESSAGE_BYTES + 1024))
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as too_big:
            await stub.IngestCrmEvents(oversized, metadata=env.metadata("acme", Role.PLUGIN), timeout=5)
        env.upstreams.scoring.unavailable = True
        try:
            with pytest.raises(grpc.aio.AioRpcError) as down:
                await stub.GetRepScore(
                    gateway_pb2.GetRepScoreRequest(rep_id="rep-1"), metadata=env.metadata("acme", Role.ADMIN)
                )
        finally:
            env.upstreams.scoring.unavailable = False
        with pytest.raises(grpc.aio.AioRpcError) as bad_rep:
            await stub.GetRepScore(
                gateway_pb2.GetRepScoreRequest(rep_id="no spaces allowed"),
                metadata=env.metadata("acme", Role.ADMIN),
            )
        with pytest.raises(grpc.aio.AioRpcError) as unknown_rep:
            await stub.GetRepScore(
                gateway_pb2.GetRepScoreRequest(rep_id="nobody"), metadata=env.metadata("acme", Role.ADMIN)
            )
    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid protobuf" in (malformed.value.details() or "")
    assert unauthenticated_garbage.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert too_big.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert down.value.code() == grpc.StatusCode.UNAVAILABLE
    assert bad_rep.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert unknown_rep.value.code() == grpc.StatusCode.NOT_FOUND


async def test_unknown_or_repeated_query_parameters_and_huge_pages_are_refused(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    headers = env.headers("acme", Role.ADMIN)
    async with httpx.AsyncClient(base_url=env.url) as client:
        typo = await client.get("/v1/scores", params={"pagesize": "10"}, headers=headers)
        repeated = await client.get("/v1/scores?team_id=team-east&team_id=team-west", headers=headers)
        huge = await client.get("/v1/scores", params={"page_size": "501"}, headers=headers)
    for response in (typo, repeated, huge):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert typo.json()["errors"] == [{"location": "query.pagesize", "message": "unknown query parameter"}]
    assert repeated.json()["errors"][0]["location"] == "query.team_id"
