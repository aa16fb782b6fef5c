"""CRM ingest over REST and gRPC: per-item validation, broker-acknowledged publishing, stable event
ids and Idempotency-Key semantics, checked on the real broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import httpx
import pytest

from groundtruth.crm.v1 import crm_pb2
from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from plumbing.kafka.records import CONTENT_TYPE_HEADER
from services.client import GroundtruthClient, crm_viewed
from services.gateway.domain.principal import Role
from tests.integration.gateway.conftest import GatewayUnderTest
from tests.integration.gateway.events import login, opportunity
from tests.integration.gateway.kafka import crm_events, crm_records

pytestmark = pytest.mark.integration


def opportunity_json(crm_id: str, rep: str = "rep-1") -> dict[str, object]:
    return {
        "type": "record_upserted",
        "object_type": "opportunity",
        "crm_id": crm_id,
        "owner_rep_id": rep,
        "name": "Renewal",
        "stage": "Proposal",
        "amount": 12000,
        "close_date": "2026-12-15",
        "modified_at": "2026-11-02T10:00:00Z",
        "fields": {"NextStep": "demo"},
    }


async def published(env: GatewayUnderTest, event_ids: set[str]) -> list[tuple[bytes, crm_pb2.CrmEvent]]:
    events = await crm_events(env.isolated.bootstrap_servers, env.isolated.topics.crm_events)
    return [(key, e) for key, e in events if e.event_id in event_ids]


async def test_valid_events_are_published_and_invalid_ones_reported_per_item(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    crm_id = f"006-{uuid.uuid4().hex[:8]}"
    batch = {
        "events": [
            opportunity_json(crm_id),
            {
                "type": "user_login",
                "rep_id": "rep-2",
                "login_at": "2026-11-02T08:00:00Z",
                "source": "salesforce",
            },
            {"type": "user_login", "login_at": "2026-11-02T08:00:00Z"},  # no rep
            {"type": "record_upserted", "object_type": "planet", "crm_id": "x"},
            {"type": "mystery"},
            "not even an object",
        ]
    }
    async with httpx.AsyncClient(base_url=env.url) as client:
        response = await client.post("/v1/crm/events", json=batch, headers=env.headers("acme", Role.PLUGIN))
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 4)
    items = body["items"]
    assert [i["index"] for i in items] == list(range(6))
    assert items[0]["event_id"] and items[1]["event_id"] and not items[2]["event_id"]
    assert "user_login.rep_id: Field required" in items[2]["errors"]
    assert any("object_type" in e for e in items[3]["errors"])
    assert items[4]["errors"] and items[5]["errors"]

    records = dict(await published(env, {items[0]["event_id"], items[1]["event_id"]}))
    upsert, logged_in = records[b"acme:rep-1"], records[b"acme:rep-2"]
    assert upsert.tenant_id == "acme" and upsert.record_upserted.crm_id == crm_id
    assert upsert.record_upserted.fields["NextStep"] == "demo"
    assert upsert.occurred_at == upsert.record_upserted.modified_at  # defaulted to the change's time
    assert upsert.observed_at.seconds > 0
    assert logged_in.user_login.login_at.ToJsonString() == "2026-11-02T08:00:00Z"
    assert logged_in.source == "salesforce"
    raw = await crm_records(env.isolated.bootstrap_servers, env.isolated.topics.crm_events)
    headers = dict(next(r for r in raw if r.key == b"acme:rep-2").headers)
    assert b"groundtruth.crm.v1.CrmEvent" in headers[CONTENT_TYPE_HEADER]


async def test_idempotency_key_replays_the_answer_and_publishes_once(gateway_env: GatewayUnderTest) -> None:
    env = gateway_env
    key = f"batch-{uuid.uuid4()}"
    batch = {"events": [opportunity_json(f"006-{uuid.uuid4().hex[:8]}")]}
    headers = {**env.headers("acme", Role.PLUGIN), "Idempotency-Key": key}
    async with httpx.AsyncClient(base_url=env.url) as client:
        first = await client.post("/v1/crm/events", json=batch, headers=headers)
        again = await client.post("/v1/crm/events", json=batch, headers=headers)
        changed = await client.post(
            "/v1/crm/events", json={"events": [opportunity_json("006-other")]}, headers=headers
        )
        other_tenant = await client.post(
            "/v1/crm/events",
            json=batch,
            headers={**env.headers("globex", Role.PLUGIN), "Idempotency-Key": key},
        )
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert changed.status_code == 422
    assert "different request" in changed.json()["detail"]
    assert other_tenant.status_code == 202 and "Idempotent-Replayed" not in other_tenant.headers

    event_id = first.json()["items"][0]["event_id"]
    assert len(await published(env, {event_id})) == 1
    # A retry without a key still gets the same (content-derived) id: scoring dedupes it.
    assert other_tenant.json()["items"][0]["event_id"] != event_id  # another tenant, another id


async def test_same_event_without_key_gets_the_same_id(gateway_env: GatewayUnderTest) -> None:
    env = gateway_env
    batch = {"events": [opportunity_json(f"006-{uuid.uuid4().hex[:8]}")]}
    async with httpx.AsyncClient(base_url=env.url) as client:
        ids = [
            (
                await client.post("/v1/crm/events", json=batch, headers=env.headers("acme", Role.PLUGIN))
            ).json()["items"][0]["event_id"]
            for _ in range(2)
        ]
    assert ids[0] == ids[1]


async def test_batches_with_nothing_valid_or_out_of_bounds_are_refused(gateway_env: GatewayUnderTest) -> None:
    env = gateway_env
    headers = env.headers("acme", Role.PLUGIN)
    async with httpx.AsyncClient(base_url=env.url) as client:
        nothing_valid = await client.post(
            "/v1/crm/events", json={"events": [{"type": "user_login"}]}, headers=headers
        )
        empty = await client.post("/v1/crm/events", json={"events": []}, headers=headers)
        too_long = await client.post("/v1/crm/events", json={"events": [{}] * 501}, headers=headers)
        not_json = await client.post("/v1/crm/events", content=b"{nope", headers=headers)
        future = await client.post(
            "/v1/crm/events",
            json={"events": [{"type": "user_login", "rep_id": "rep-1", "login_at": "2099-01-01T00:00:00Z"}]},
            headers=headers,
        )
    assert nothing_valid.status_code == 422
    assert nothing_valid.headers["content-type"] == "application/problem+json"
    assert nothing_valid.json()["items"][0]["errors"]
    for response in (empty, too_long, not_json):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert future.status_code == 422
    assert "one day from now" in future.json()["items"][0]["errors"][0]


async def test_grpc_ingest_with_idempotency_key(gateway_env: GatewayUnderTest) -> None:
    env = gateway_env
    crm_id = f"006-{uuid.uuid4().hex[:8]}"
    events = [opportunity(crm_id, "rep-1"), login("rep-2"), crm_pb2.CrmEvent(rep_id="rep-1")]
    request = gateway_pb2.IngestCrmEventsRequest(events=events, idempotency_key=f"k-{crm_id}")
    async with grpc.aio.insecure_channel(env.grpc_target) as channel:
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        metadata = env.metadata("acme", Role.PLUGIN)
        first = await stub.IngestCrmEvents(request, metadata=metadata)
        again = await stub.IngestCrmEvents(request, metadata=metadata)
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await stub.IngestCrmEvents(
                gateway_pb2.IngestCrmEventsRequest(events=events[:1], idempotency_key=f"k-{crm_id}"),
                metadata=metadata,
            )
        with pytest.raises(grpc.aio.AioRpcError) as nothing_valid:
            await stub.IngestCrmEvents(
                gateway_pb2.IngestCrmEventsRequest(events=[crm_pb2.CrmEvent(tenant_id="globex")]),
                metadata=metadata,
            )
    assert (first.accepted, first.rejected, first.replayed) == (2, 1, False)
    assert "no payload" in first.items[2].errors[0]
    assert again.replayed and [i.event_id for i in again.items] == [i.event_id for i in first.items]
    assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert nothing_valid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "tenant_id does not match" in (nothing_valid.value.details() or "")
    assert len(await published(env, {first.items[0].event_id, first.items[1].event_id})) == 2


async def test_a_claim_its_request_never_finished_is_taken_over_after_its_lease(
    gateway_env: GatewayUnderTest,
) -> None:
    """A request that claimed its Idempotency-Key and died before storing an answer (the gateway
    killed, PostgreSQL gone) must not lock the key until it expires: while the claim is fresh the
    retry is told 409 (in flight); once its lease has passed the retry runs and is acknowledged."""
    env = gateway_env
    key = f"abandoned-{uuid.uuid4()}"
    batch = {"events": [opportunity_json(f"006-{uuid.uuid4().hex[:8]}")]}
    headers = {**env.headers("acme", Role.PLUGIN), "Idempotency-Key": key}
    async with httpx.AsyncClient(base_url=env.url) as client:
        first = await client.post("/v1/crm/events", json=batch, headers=headers)
        assert first.status_code == 202
        # Turn the finished claim into one its request abandoned, made just now.
        conn = await asyncpg.connect(env.isolated.database_url)
        try:
            unfinish = (
                "UPDATE gateway.idempotency_keys SET status_code = NULL, response = NULL, "
                "created_at = now() - make_interval(secs => $2) WHERE idempotency_key = $1"
            )
            await conn.execute(unfinish, key, 1)
            fresh = await client.post("/v1/crm/events", json=batch, headers=headers)
            await conn.execute(unfinish, key, 31)  # past the 30 s lease
            taken_over = await client.post("/v1/crm/events", json=batch, headers=headers)
        finally:
            await conn.close()
    assert fresh.status_code == 409
    assert taken_over.status_code == 202 and "Idempotent-Replayed" not in taken_over.headers
    assert taken_over.json()["items"] == first.json()["items"]  # the same content-derived ids


async def test_crm_views_are_ingested_over_rest_and_grpc_with_validation(
    gateway_env: GatewayUnderTest,
) -> None:
    """Leadership signals (a pipeline review or a forecast opened in the CRM): REST items, the plugin
    client over gRPC, each validated per item."""
    env = gateway_env
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    rest_events = [
        {"type": "crm_viewed", "rep_id": "mgr-1", "kind": "pipeline_review", "viewed_at": at.isoformat(),
         "team_id": "team-east", "name": "Weekly pipeline"},
        {"type": "crm_viewed", "rep_id": "mgr-1", "kind": "gossip", "viewed_at": at.isoformat()},
        {"type": "crm_viewed", "kind": "forecast", "viewed_at": at.isoformat()},
    ]  # fmt: skip
    async with httpx.AsyncClient(base_url=env.url) as client:
        answer = await client.post(
            "/v1/crm/events", json={"events": rest_events}, headers=env.headers("acme", Role.PLUGIN)
        )
    assert answer.status_code == 202, answer.text
    items = answer.json()["items"]
    assert [bool(i["event_id"]) for i in items] == [True, False, False]
    assert "crm_viewed.kind" in " ".join(items[1]["errors"]) and "rep_id" in " ".join(items[2]["errors"])
    async with GroundtruthClient(env.grpc_target, env.keys[("acme", Role.PLUGIN)]) as gt:
        sent = await gt.ingest(
            [
                crm_viewed(rep_id="mgr-1", kind="forecast", viewed_at=at, source="example"),
                crm_pb2.CrmEvent(rep_id="mgr-1", crm_viewed=crm_pb2.CrmViewed()),  # no kind, no time
            ]
        )
    assert (sent.accepted, sent.rejected) == (1, 1)
    assert "crm_viewed.kind" in " ".join(sent.items[1].errors)
    found = await published(env, {items[0]["event_id"], sent.items[0].event_id})
    kinds = sorted(e.crm_viewed.kind for _, e in found)
    assert kinds == [crm_pb2.CRM_VIEW_KIND_PIPELINE_REVIEW, crm_pb2.CRM_VIEW_KIND_FORECAST]
    assert all(e.occurred_at.ToDatetime(tzinfo=UTC) == at for _, e in found)
