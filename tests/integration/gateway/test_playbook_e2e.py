"""The playbook end to end: configuration through the gateway, CRM and capture events through the
broker, scoring's real consumer and rescore, and the answers through the gateway's public REST API:
the manager sees the intervention with its named peer, the rep sees what would help them in their
own words, never their class."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from google.protobuf.json_format import MessageToDict

from groundtruth.crm.v1 import crm_pb2
from services.gateway.admin import keys
from services.gateway.domain.principal import Role
from tests.integration.conftest import Isolated
from tests.integration.platform import Platform, running_platform
from tests.integration.scoring.scenario_support import publish_events, rescore_when_caught_up
from tests.integration.scoring.test_playbook import WORLD

pytestmark = pytest.mark.integration
TENANT = WORLD.tenant_id


@pytest.fixture(scope="module")
async def platform(isolated: Isolated) -> AsyncIterator[Platform]:
    async with running_platform(isolated) as running:
        yield running


async def key(platform: Platform, role: Role, rep_id: str | None) -> dict[str, str]:
    gw = platform.gateway.gateway
    issued = await keys.issue_key(
        gw.pool,
        pepper=gw.pepper,
        tenant_id=TENANT,
        name=f"{role}-{rep_id}",
        role=role,
        rep_id=rep_id,
        created_by="test",
    )
    return {"Authorization": f"Bearer {issued.plaintext}"}


async def test_manager_sees_the_intervention_and_the_rep_what_would_help(platform: Platform) -> None:
    gw = platform.gateway.gateway
    admin = await keys.create_tenant(gw.pool, pepper=gw.pepper, tenant_id=TENANT, name="Playbook")
    config = MessageToDict(WORLD.config(), preserving_proto_field_name=True)
    config.pop("version")
    async with httpx.AsyncClient(base_url=platform.rest_url, timeout=10) as client:
        stored = await client.put(
            "/v1/admin/config", json=config, headers={"Authorization": f"Bearer {admin.plaintext}"}
        )
        assert stored.status_code == 200, stored.text
    # Everything but the configuration, which went through the gateway above.
    events = [
        e
        for e in WORLD.events()
        if not (isinstance(e, crm_pb2.CrmEvent) and e.HasField("tenant_config_updated"))
    ]
    isolated = platform.isolated
    await publish_events(isolated.bootstrap_servers, isolated.topics, events)
    await rescore_when_caught_up(platform, TENANT)

    manager, sam = await key(platform, Role.MANAGER, "boss-a"), await key(platform, Role.REP, "sam")
    async with httpx.AsyncClient(base_url=platform.rest_url, timeout=10) as client:
        diagnostics = await client.get(
            "/v1/diagnostics", params={"team_id": "team-a", "rep_id": "sam"}, headers=manager
        )
        own = await client.get("/v1/me/help", headers=sam)
        refused = await client.get("/v1/diagnostics", params={"rep_id": "sam"}, headers=sam)
        sdrs = await client.get("/v1/scores", params={"team_id": "team-a", "role": "sdr"}, headers=manager)
    assert diagnostics.status_code == 200, diagnostics.text
    intervention = next(d for d in diagnostics.json()["diagnostics"] if d["kind"] == "intervention_skeptic")
    assert (intervention["adkar_stage"], intervention["peer_rep_id"]) == ("desire", "ada")
    assert "Pair Sam Doubt with Ada Lovelace" in intervention["recommendation"]
    assert refused.status_code == 403  # the rep never reads the manager's view of them
    assert own.status_code == 200, own.text
    texts = [item["text"] for item in own.json()["items"]]
    assert intervention["for_rep"] in texts
    assert any("training session" in t for t in texts)  # the team's 30-day training names them
    assert not any(word in t.lower() for t in texts for word in ("skeptic", "desire", "awareness"))
    assert [s["rep_id"] for s in sdrs.json()["scores"]] == ["aaron"]
