"""One activity end to end: capture's publisher → broker → scoring → gateway REST and gRPC."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from grpc_health.v1 import health_pb2, health_pb2_grpc

from groundtruth.activity.v1 import activity_pb2
from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from plumbing.kafka.records import protobuf_headers, record_key
from services.gateway.admin.keys import create_tenant
from tests.conftest import eventually
from tests.factories import BASE_TIME, make_activity
from tests.integration.conftest import Isolated
from tests.integration.platform import (
    TEST_API_KEY_PEPPER,
    Platform,
    committed_through_end,
    running_platform,
    stored_activity_ids,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def platform(isolated: Isolated) -> AsyncIterator[Platform]:
    async with running_platform(isolated) as running:
        for tenant in ("acme", "globex"):
            created = await create_tenant(
                running.gateway.gateway.pool,
                pepper=TEST_API_KEY_PEPPER.encode(),
                tenant_id=tenant,
                name=tenant,
            )
            ADMIN_KEYS[tenant] = created.plaintext
        yield running


ADMIN_KEYS: dict[str, str] = {}


def auth(tenant: str) -> dict[str, str]:
    """The headers of a request made with `tenant`'s admin key."""
    return {"Authorization": f"Bearer {ADMIN_KEYS[tenant]}"}


async def rest_ids(platform: Platform, tenant: str, rep: str, **params: str | int) -> list[str]:
    async with httpx.AsyncClient(base_url=platform.rest_url) as client:
        response = await client.get(f"/v1/reps/{rep}/activities", headers=auth(tenant), params=params)
    response.raise_for_status()
    return [item["id"] for item in response.json()["items"]]


async def caught_up(platform: Platform) -> bool:
    return await committed_through_end(
        platform.isolated.bootstrap_servers,
        platform.consumer_group,
        platform.isolated.topics.activity_captured,
    )


async def test_published_activities_are_served_by_rest_and_grpc(platform: Platform) -> None:
    mine = [make_activity(tenant_id="acme", rep_id="rep-1", subject=f"Renewal {i}") for i in range(3)]
    colleague = make_activity(tenant_id="acme", rep_id="rep-2")
    other_tenant = make_activity(tenant_id="globex", rep_id="rep-1")
    await platform.capture.publisher.publish([*mine, colleague, other_tenant])

    newest_first = [a.id for a in sorted(mine, key=lambda a: a.occurred_at.ToDatetime(), reverse=True)]

    async def all_visible() -> bool:
        return await rest_ids(platform, "acme", "rep-1") == newest_first

    await eventually(all_visible)

    async with httpx.AsyncClient(base_url=platform.rest_url) as client:
        body = (await client.get("/v1/reps/rep-1/activities", headers=auth("acme"))).json()
    first = body["items"][0]
    assert first["kind"] == "email_sent"
    assert first["provider"] == "microsoft"
    assert first["subject"] == "Renewal 2"
    assert [(p["role"], p["is_internal"]) for p in first["participants"]] == [("from", True), ("to", False)]
    assert first["occurred_at"].startswith("2026-11-02T")

    assert await rest_ids(platform, "acme", "rep-2") == [colleague.id]
    assert await rest_ids(platform, "globex", "rep-1") == [other_tenant.id]

    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.gateway.grpc_port}") as channel:
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        response = await stub.ListRepActivities(
            gateway_pb2.ListRepActivitiesRequest(rep_id="rep-1"),
            metadata=[("authorization", f"Bearer {ADMIN_KEYS['acme']}")],
        )
    assert [r.activity.id for r in response.activities] == newest_first
    assert response.activities[0].activity == next(a for a in mine if a.id == newest_first[0])


async def test_pages_follow_next_page_token(platform: Platform) -> None:
    batch = [make_activity(tenant_id="acme", rep_id="rep-pages") for _ in range(5)]
    await platform.capture.publisher.publish(batch)

    async def all_there() -> bool:
        return len(await rest_ids(platform, "acme", "rep-pages")) == 5

    await eventually(all_there)
    seen: list[str] = []
    tokens: list[str] = []
    token: str | None = None
    async with httpx.AsyncClient(base_url=platform.rest_url) as client:
        while True:
            params: dict[str, str | int] = {"page_size": 2, **({"page_token": token} if token else {})}
            body = (
                await client.get("/v1/reps/rep-pages/activities", headers=auth("acme"), params=params)
            ).json()
            seen += [item["id"] for item in body["items"]]
            token = body["next_page_token"]
            if token is None:
                break
            tokens.append(token)
        # A page token is signed for its listing: another rep's listing, or an altered token, is a 400.
        elsewhere = await client.get(
            "/v1/reps/rep-other/activities", headers=auth("acme"), params={"page_token": tokens[0]}
        )
        altered = tokens[0][:-2] + ("AA" if not tokens[0].endswith("AA") else "BB")
        tampered = await client.get(
            "/v1/reps/rep-pages/activities", headers=auth("acme"), params={"page_token": altered}
        )
    assert sorted(seen) == sorted(a.id for a in batch)
    assert len(seen) == 5
    assert elsewhere.status_code == 400 and "page_token" in elsewhere.json()["detail"]
    assert tampered.status_code == 400


async def test_replayed_records_leave_exactly_one_row_each(platform: Platform) -> None:
    batch = [make_activity(tenant_id="acme", rep_id="rep-replay") for _ in range(5)]
    await platform.capture.publisher.publish(batch)
    await platform.capture.publisher.publish(batch)  # the same records again, as after a capture retry
    await platform.capture.publisher.publish(list(reversed(batch)))

    await eventually(lambda: caught_up(platform))
    stored = await stored_activity_ids(platform.isolated.database_url, [a.id for a in batch])
    assert sorted(stored) == sorted(a.id for a in batch)
    assert len(await rest_ids(platform, "acme", "rep-replay")) == 5


async def test_older_version_arriving_late_does_not_overwrite_newer(platform: Platform) -> None:
    original = make_activity(tenant_id="acme", rep_id="rep-order", kind=activity_pb2.ACTIVITY_KIND_MEETING)
    cancelled = activity_pb2.Activity()
    cancelled.CopyFrom(original)
    cancelled.is_cancelled = True
    cancelled.source_modified_at.FromDatetime(BASE_TIME + timedelta(days=1))

    await platform.capture.publisher.publish([cancelled])
    await platform.capture.publisher.publish([original])  # stale version, delivered last
    await eventually(lambda: caught_up(platform))

    async with httpx.AsyncClient(base_url=platform.rest_url) as client:
        body = (await client.get("/v1/reps/rep-order/activities", headers=auth("acme"))).json()
    assert [(i["id"], i["is_cancelled"]) for i in body["items"]] == [(original.id, True)]


async def test_poison_records_are_dead_lettered_and_later_records_still_processed(platform: Platform) -> None:
    topics = platform.isolated.topics
    no_tenant = make_activity(tenant_id="acme", rep_id="rep-poison")
    no_tenant.tenant_id = ""
    valid = make_activity(tenant_id="acme", rep_id="rep-poison")
    producer = AIOKafkaProducer(bootstrap_servers=platform.isolated.bootstrap_servers)
    await producer.start()
    try:
        key = record_key("acme", "rep-poison")  # same partition: the valid record queues behind the poison
        await producer.send_and_wait(topics.activity_captured, key=key, value=b"\xff\x00 not protobuf")
        await producer.send_and_wait(
            topics.activity_captured,
            key=key,
            value=no_tenant.SerializeToString(),
            headers=protobuf_headers(no_tenant),
        )
        await producer.send_and_wait(
            topics.activity_captured,
            key=key,
            value=valid.SerializeToString(),
            headers=protobuf_headers(valid),
        )
    finally:
        await producer.stop()

    async def valid_visible() -> bool:
        return await rest_ids(platform, "acme", "rep-poison") == [valid.id]

    await eventually(valid_visible)

    consumer = AIOKafkaConsumer(
        topics.deadletter, bootstrap_servers=platform.isolated.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        letters: list[ConsumerRecord[bytes, bytes]] = []
        while len(letters) < 2:
            fetched = await consumer.getmany(timeout_ms=5000)
            assert fetched, f"dead letters missing, got {len(letters)}"
            letters += [r for records in fetched.values() for r in records]
    finally:
        await consumer.stop()
    headers = [dict(letter.headers) for letter in letters]
    assert {h["dlq.original.topic"] for h in headers} == {topics.activity_captured.encode()}
    reasons = sorted(h["dlq.error"].decode() for h in headers)
    assert "tenant_id is empty" in reasons[0]
    assert "not a protobuf Activity" in reasons[1]
    assert letters[1].value == no_tenant.SerializeToString()
    await eventually(lambda: caught_up(platform))


async def test_gateway_rejects_bad_input_with_clear_errors(platform: Platform) -> None:
    async with httpx.AsyncClient(base_url=platform.rest_url) as client:
        missing_key = await client.get("/v1/reps/rep-1/activities")
        bad_rep = await client.get("/v1/reps/%20bad%20rep/activities", headers=auth("acme"))
        bad_token = await client.get(
            "/v1/reps/rep-1/activities", headers=auth("acme"), params={"page_token": "!!"}
        )
        huge_page = await client.get(
            "/v1/reps/rep-1/activities", headers=auth("acme"), params={"page_size": 100000}
        )
    for response in (bad_rep, huge_page):
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
    assert missing_key.status_code == 401
    assert missing_key.headers["content-type"] == "application/problem+json"
    assert "API key" in missing_key.json()["detail"]
    # "!!" breaks the published shape of a page token: 422 naming it (a forged one of the right
    # shape is a 400: test_pages_follow_next_page_token).
    assert bad_token.status_code == 422
    assert "page_token" in bad_token.json()["detail"]

    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.gateway.grpc_port}") as channel:
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as no_key:
            await stub.ListRepActivities(gateway_pb2.ListRepActivitiesRequest(rep_id="rep-1"))
        with pytest.raises(grpc.aio.AioRpcError) as bad_token_rpc:
            await stub.ListRepActivities(
                gateway_pb2.ListRepActivitiesRequest(rep_id="rep-1", page_token="!!"),
                metadata=[("authorization", f"Bearer {ADMIN_KEYS['acme']}")],
            )
    assert no_key.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert bad_token_rpc.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("service", ["scoring", "capture", "gateway"])
async def test_every_service_reports_health_over_http_and_grpc(platform: Platform, service: str) -> None:
    running = getattr(platform, service)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.http_port}") as client:
        assert (await client.get("/healthz")).status_code == 200

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready)

    # Internal services answer only over mutual TLS; the gateway's public gRPC takes plaintext.
    channel_for = platform.isolated.client_tls.channel if service != "gateway" else grpc.aio.insecure_channel
    async with channel_for(f"127.0.0.1:{running.grpc_port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)

        async def serving() -> bool:
            # typeshed's HealthStub declares no methods; the generated class has Check.
            answer = await stub.Check(health_pb2.HealthCheckRequest(service=""))  # type: ignore[attr-defined]
            return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

        await eventually(serving)


async def test_no_metrics_label_carries_personal_data(platform: Platform) -> None:
    """Every service's /metrics, after real traffic: no e-mail address or rep's address in a label
    (per-mailbox and per-rep detail is for the authenticated APIs only)."""
    batch = [make_activity(tenant_id="acme", rep_id="rep-metrics", customer="buyer@customer.example")]
    await platform.capture.publisher.publish(batch)
    for running in (platform.scoring, platform.capture, platform.gateway):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.http_port}") as client:
            scraped = (await client.get("/metrics")).text
        labels = re.findall(r"\{([^}]*)\}", scraped)
        assert labels, "no labelled series at all: the check would prove nothing"
        assert not [label for label in labels if "@" in label], "a metrics label carries an address"
