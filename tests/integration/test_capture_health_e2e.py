"""Scoring trusts capture first, through the real parts: capture against the Microsoft emulator (real
msal and HTTP client) → gt.capture.health.v1 on the real broker → scoring on the real PostgreSQL →
the gateway's REST. A low-volume mailbox whose access is revoked at the emulator, and one whose chain
stalls, are named with capture's reason and their reps are not judged; healed, they are judged again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc, health_pb2
from plumbing.kafka.records import header
from services.capture.adapters.secret_box import new_key
from services.gateway.admin.keys import create_tenant
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from tests.conftest import eventually
from tests.integration.capture.harness import (
    DOMAIN,
    TENANT,
    admin_client,
    org_spec,
    register,
    running_emulator,
)
from tests.integration.conftest import Isolated
from tests.integration.platform import TEST_API_KEY_PEPPER, Platform, running_platform

pytestmark = pytest.mark.integration
CUSTOMER = "buyer@northwind.example"
QUIET = f"quiet@{DOMAIN}"
STALLED = f"stalled@{DOMAIN}"


@dataclass(frozen=True)
class World:
    emulator: MicrosoftEmulator
    platform: Platform
    admin: capture_pb2_grpc.CaptureAdminAsyncStub
    key: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture(scope="module")
async def world(isolated: Isolated, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    tls_dir = Path(tmp_path_factory.mktemp("health-tls"))
    async with running_emulator(tls_dir, org_spec(mailboxes=1, messages=2, events=0)) as emulator:
        overrides: dict[str, Any] = {
            "secret_keys": SecretStr(new_key()),
            "microsoft_authority_base": emulator.authority_base,
            "microsoft_graph_base_url": emulator.graph_base_url,
            "microsoft_ca_bundle": str(emulator.tls.ca_path),
            "microsoft_page_size": 5,
            "poll_interval_sec": 600.0,  # only triggers explain a pass
            "error_retry_sec": 600.0,
            "backoff_initial_sec": 0.2,
            "backoff_max_sec": 1.0,
            "max_empty_pages": 3,
            "health_check_sec": 0.1,
        }
        async with (
            running_platform(isolated, capture_overrides=overrides) as platform,
            admin_client(platform.capture.grpc_port, isolated.client_tls) as admin,
        ):
            created = await create_tenant(
                platform.gateway.gateway.pool,
                pepper=TEST_API_KEY_PEPPER.encode(),
                tenant_id=TENANT,
                name=TENANT,
            )
            directory = next(iter(emulator.state.orgs.values())).tenant_id
            for mailbox in (QUIET, STALLED):
                emulator.add_mailbox(directory, mailbox)
                # Low volume: two customer e-mails, three weeks ago and yesterday.
                for days in (21, 1):
                    emulator.add_message(
                        mailbox,
                        sender=CUSTOMER,
                        to=[mailbox],
                        sent_at=datetime.now(UTC) - timedelta(days=days),
                    )
            await register(admin, emulator, [QUIET, STALLED])
            yield World(emulator, platform, admin, created.plaintext)


async def _capture_state(world: World, mailbox: str, state: str) -> None:
    async def reached() -> bool:
        response = await world.admin.GetSyncStatus(
            capture_pb2.GetSyncStatusRequest(tenant_id=TENANT, mailbox=mailbox)
        )
        return bool(response.mailboxes) and response.mailboxes[0].state == state

    await eventually(reached, timeout_sec=30)


async def _scoring_knows(world: World, rep: str, state: str) -> None:
    """Scoring's own table holds capture's word (the health consumer committed it)."""

    async def stored() -> bool:
        conn = await asyncpg.connect(world.platform.isolated.database_url)
        try:
            found = await conn.fetchval(
                "SELECT state FROM scoring.mailbox_health WHERE tenant_id = $1 AND rep_id = $2", TENANT, rep
            )
        finally:
            await conn.close()
        return bool(found == state)

    await eventually(stored, timeout_sec=30)


async def _activities_of(world: World, rep: str) -> int:
    conn = await asyncpg.connect(world.platform.isolated.database_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM scoring.activities WHERE tenant_id = $1 AND rep_id = $2", TENANT, rep
            )
        )
    finally:
        await conn.close()


async def _get(world: World, path: str, **params: str) -> Any:
    async with httpx.AsyncClient(base_url=world.platform.rest_url) as client:
        response = await client.get(path, headers=world.headers(), params=params)
    response.raise_for_status()
    return response.json()


async def _diagnostics(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    body = await _get(world, "/v1/diagnostics")
    return {(d["rep_id"], d["kind"]): d for d in body.get("diagnostics", [])}


async def _score(world: World, rep: str, status: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    async def shows() -> bool:
        async with httpx.AsyncClient(base_url=world.platform.rest_url) as client:
            response = await client.get(f"/v1/reps/{rep}/score", headers=world.headers())
        if response.status_code != 200:
            return False
        found[:] = [response.json()]
        return bool(found[0].get("capture", {}).get("status") == status)

    await eventually(shows, timeout_sec=30)
    return found[0]


async def test_revoked_and_stalled_mailboxes_are_named_with_capture_reason_whatever_their_volume(
    world: World,
) -> None:
    platform = world.platform
    await _capture_state(world, QUIET, "idle")
    await _capture_state(world, STALLED, "idle")
    await _scoring_knows(world, "rep-quiet", "ok")

    async def both_flowed() -> bool:
        return (
            await _activities_of(world, "rep-quiet") >= 2 and await _activities_of(world, "rep-stalled") >= 2
        )

    await eventually(both_flowed, timeout_sec=30)
    await platform.scoring.rescore.rescore_tenant(TENANT, full=True)
    healthy = await _score(world, "rep-quiet", "healthy")
    assert healthy["capture"]["reported_state"] == "ok"
    assert ("rep-quiet", "capture_revoked") not in await _diagnostics(world)

    # Revoke the quiet mailbox's access at the emulator; make the other's chain stall.
    world.emulator.deny(QUIET)
    world.emulator.empty_pages(STALLED, count=1_000_000)
    for mailbox in (QUIET, STALLED):
        await world.admin.TriggerSync(capture_pb2.TriggerSyncRequest(tenant_id=TENANT, mailbox=mailbox))
    await _capture_state(world, QUIET, "error")
    await _capture_state(world, STALLED, "stale")
    await _scoring_knows(world, "rep-quiet", "revoked")
    await _scoring_knows(world, "rep-stalled", "stale")
    await platform.scoring.rescore.rescore_tenant(TENANT, full=True)

    diagnostics = await _diagnostics(world)
    revoked = diagnostics[("rep-quiet", "capture_revoked")]
    assert revoked["severity"] == "critical"
    assert "mailbox access revoked since" in revoked["title"]
    evidence = {e["label"]: e["value"] for e in revoked["evidence"]}
    assert evidence["reason"] == "the provider no longer accepts the mailbox's token"
    assert evidence["provider"] == "microsoft"
    stale = diagnostics[("rep-stalled", "capture_stale")]
    assert {e["label"]: e["value"] for e in stale["evidence"]}["reason"] == (
        "a chain made no progress or a pass ran past its deadline"
    )

    score = await _score(world, "rep-quiet", "revoked")
    assert score["capture"]["source"] == "capture"
    assert score["capture"]["reported_reason"] == "the provider no longer accepts the mailbox's token"
    assert score["classification"] == "insufficient_data"
    assert score["reasons"][0].startswith("not judged: mailbox access revoked since")

    # Healed at the provider: capture says ok again, the diagnostic goes, the rep is judged again.
    world.emulator.deny(QUIET, False)
    world.emulator.empty_pages(STALLED, reset=True)
    for mailbox in (QUIET, STALLED):
        await world.admin.TriggerSync(capture_pb2.TriggerSyncRequest(tenant_id=TENANT, mailbox=mailbox))
    await _scoring_knows(world, "rep-quiet", "ok")
    await _scoring_knows(world, "rep-stalled", "ok")
    await platform.scoring.rescore.rescore_tenant(TENANT, full=True)
    diagnostics = await _diagnostics(world)
    assert ("rep-quiet", "capture_revoked") not in diagnostics
    assert ("rep-stalled", "capture_stale") not in diagnostics
    healed = await _score(world, "rep-quiet", "healthy")
    assert not healed["reasons"][0].startswith("not judged")


async def test_the_health_topic_is_keyed_by_mailbox_and_carries_no_address(world: World) -> None:
    isolated = world.platform.isolated
    await _scoring_knows(world, "rep-quiet", "ok")
    consumer = AIOKafkaConsumer(
        isolated.topics.capture_health,
        bootstrap_servers=isolated.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()
    records = [r for batch in batches.values() for r in batch]
    assert records
    for record in records:
        assert record.value is not None
        # The rep id (as on the activity topic), never the address. The text fields are checked once
        # decoded: a timestamp's varint bytes may happen to be 0x40 ("@").
        for address in (QUIET, STALLED):
            assert address.encode() not in record.value
        assert b"@" not in (record.key or b"") and DOMAIN.encode() not in (record.key or b"")
        health = health_pb2.MailboxHealth.FromString(record.value)
        texts = [value for _, value in health.ListFields() if isinstance(value, str)]
        assert texts and not [t for t in texts if "@" in t or DOMAIN in t]
        assert record.key == f"{health.tenant_id}:{health.mailbox_key}".encode()
        assert health.rep_id.startswith("rep-") and health.state
        assert header(record.headers, "content-type") is not None
