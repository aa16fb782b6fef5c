"""CRM ingest → scoring (mirror + matching) → write-back feed, end to end on the real broker and
PostgreSQL, through the gateway's public REST and gRPC APIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest

from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from services.gateway.admin import keys
from services.gateway.domain.principal import Role
from tests.conftest import eventually
from tests.factories import make_activity
from tests.integration.conftest import Isolated
from tests.integration.platform import TEST_CURSORS, Platform, running_platform

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def platform(isolated: Isolated) -> AsyncIterator[Platform]:
    async with running_platform(isolated) as running:
        yield running


async def test_crm_records_and_a_captured_email_come_back_matched_in_the_feed(platform: Platform) -> None:
    gw = platform.gateway.gateway
    admin = await keys.create_tenant(gw.pool, pepper=gw.pepper, tenant_id="acme", name="Acme")
    plugin = await keys.issue_key(
        gw.pool,
        pepper=gw.pepper,
        tenant_id="acme",
        name="salesforce",
        role=Role.PLUGIN,
        rep_id=None,
        created_by="test",
    )
    as_admin = {"Authorization": f"Bearer {admin.plaintext}"}
    as_plugin = {"Authorization": f"Bearer {plugin.plaintext}"}
    async with httpx.AsyncClient(base_url=platform.rest_url, timeout=10) as client:
        config = await client.put(
            "/v1/admin/config",
            headers=as_admin,
            json={
                "internal_domains": ["acme.example"],
                "stages": ["Discovery", "Proposal", "Closed Won"],
                "teams": [{"team_id": "east", "manager_rep_id": "mgr-1", "member_rep_ids": ["rep-1"]}],
            },
        )
        assert config.status_code == 200, config.text
        batch = {
            "events": [
                {
                    "type": "record_upserted",
                    "object_type": "account",
                    "crm_id": "001-e2e",
                    "name": "Customer Inc",
                    "owner_rep_id": "rep-1",
                    "domains": ["customer.example"],
                    "modified_at": "2026-11-01T08:00:00Z",
                },
                {
                    "type": "record_upserted",
                    "object_type": "contact",
                    "crm_id": "003-e2e",
                    "name": "Bea Buyer",
                    "owner_rep_id": "rep-1",
                    "email": "buyer@customer.example",
                    "account_crm_id": "001-e2e",
                    "modified_at": "2026-11-01T08:00:00Z",
                },
                {
                    "type": "record_upserted",
                    "object_type": "opportunity",
                    "crm_id": "006-e2e",
                    "name": "Renewal",
                    "owner_rep_id": "rep-1",
                    "account_crm_id": "001-e2e",
                    "stage": "Proposal",
                    "amount": 12000,
                    "close_date": "2026-12-15",
                    "modified_at": "2026-11-01T08:00:00Z",
                },
            ]
        }
        crm = await client.post(
            "/v1/crm/events", headers={**as_plugin, "Idempotency-Key": "e2e-1"}, json=batch
        )
        assert crm.status_code == 202 and crm.json()["accepted"] == 3, crm.text

        async def opportunity_mirrored() -> bool:
            answer = await client.get("/v1/opportunities", headers=as_plugin, params={"rep_id": "rep-1"})
            return answer.status_code == 200 and any(
                o["crm_id"] == "006-e2e" for o in answer.json()["opportunities"]
            )

        await eventually(opportunity_mirrored, timeout_sec=30)

        email = make_activity(tenant_id="acme", rep_id="rep-1", customer="buyer@customer.example")
        await platform.capture.publisher.publish([email])

        found: dict[str, object] = {}

        async def matched_in_feed() -> bool:
            page = (await client.get("/v1/feed", headers=as_plugin, params={"subscription": "e2e"})).json()
            for item in page["activities"]:
                if item["activity"]["id"] == email.id:
                    found.update(item=item, cursor=page["cursor"])
                    return True
            return False

        await eventually(matched_in_feed, timeout_sec=30)
        item = found["item"]
        assert isinstance(item, dict)
        assert item["account_crm_id"] == "001-e2e"
        assert "003-e2e" in item["contact_crm_ids"]
        assert item["tenant_id"] == "acme" and item["feed_sequence"] > 0

        # Written back and acked: a restarted plugin (no cursor) gets nothing it already acked.
        acked = await client.post(
            "/v1/feed/ack", headers=as_plugin, json={"subscription": "e2e", "cursor": found["cursor"]}
        )
        assert acked.status_code == 200
        resumed = (await client.get("/v1/feed", headers=as_plugin, params={"subscription": "e2e"})).json()
        assert email.id not in [a["activity"]["id"] for a in resumed["activities"]]

        # The same Idempotency-Key replays the first answer and publishes nothing again.
        again = await client.post(
            "/v1/crm/events", headers={**as_plugin, "Idempotency-Key": "e2e-1"}, json=batch
        )
        assert again.json() == crm.json() and again.headers["Idempotent-Replayed"] == "true"

    # The gRPC stream from the start of the feed delivers the same matched activity.
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.gateway.grpc_port}") as channel:
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        stream = stub.StreamFeed(
            gateway_pb2.StreamFeedRequest(
                subscription="e2e-grpc",
                cursor=TEST_CURSORS.feed_cursor(tenant_id="acme", subscription="e2e-grpc", sequence=0),
            ),
            metadata=(("authorization", f"Bearer {plugin.plaintext}"),),
        )
        page = await asyncio.wait_for(stream.read(), timeout=10)
        stream.cancel()
    assert isinstance(page, gateway_pb2.FeedPage)
    assert email.id in [a.activity.id for a in page.activities]
    # Another tenant's plugin sees none of it.
    other = await keys.create_tenant(gw.pool, pepper=gw.pepper, tenant_id="globex", name="Globex")
    other_plugin = await keys.issue_key(
        gw.pool,
        pepper=gw.pepper,
        tenant_id="globex",
        name="p",
        role=Role.PLUGIN,
        rep_id=None,
        created_by="test",
    )
    del other
    acme_cursor = TEST_CURSORS.feed_cursor(tenant_id="acme", subscription="default", sequence=0)
    async with httpx.AsyncClient(base_url=platform.rest_url) as client:
        headers = {"Authorization": f"Bearer {other_plugin.plaintext}"}
        theirs = await client.get("/v1/feed", params={"cursor": acme_cursor}, headers=headers)
        # acme's cursor is foreign to globex: refused before anything is read.
        assert theirs.status_code == 400, theirs.text
        theirs = await client.get("/v1/feed", headers=headers)
    assert theirs.status_code == 200 and theirs.json()["activities"] == []
