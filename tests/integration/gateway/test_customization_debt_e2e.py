"""Customization debt end to end: configuration versions through the gateway, CRM and capture events
through the broker, scoring's real consumer and rescore keeping a team-health snapshot per day, and
the debt through the gateway's REST and gRPC APIs: each change with its day and version, and the
team's required-field completeness before the change against now, or why it is unknown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.json_format import MessageToDict

from groundtruth.crm.v1 import crm_pb2
from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.db.pool import create_pool
from services.gateway.admin import keys
from services.scoring.app import SCHEMA
from services.scoring.wiring import build_rescore
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.platform import Platform, running_platform
from tests.integration.scoring.habit_world import Habit, HabitWorld, Member
from tests.integration.scoring.scenario_support import caught_up, publish_events, rescore_when_caught_up

pytestmark = pytest.mark.integration
TENANT = "debt-e2e"
TODAY = datetime.now(UTC).date()
# Budget is required from go-live; Wes never fills it, so the team's completeness is 2 of 3.
WORLD = HabitWorld(
    tenant_id=TENANT,
    today=TODAY,
    days=21,
    teams={
        "team-a": (
            "boss-a",
            (
                Member("ada", "account_executive", Habit()),
                Member("bea", "account_executive", Habit()),
                Member("wes", "account_executive", Habit(fills_budget=False)),
            ),
        )
    },
)
STAGE_ADDED_ON = TODAY - timedelta(days=5)  # before scoring kept any snapshot: unknown effect
SNAPSHOT_ON = TODAY - timedelta(days=3)  # a full rescore ran that day


@pytest.fixture(scope="module")
async def platform(isolated: Isolated) -> AsyncIterator[Platform]:
    async with running_platform(isolated) as running:
        yield running


def config_body(**changes: Any) -> dict[str, Any]:
    body = MessageToDict(WORLD.config(), preserving_proto_field_name=True)
    body.pop("version")
    return {**body, **changes}


async def stored_on(platform: Platform, version: int, day: date) -> None:
    """Stand in for time passing: `version` was stored on `day` (noon UTC)."""
    await platform.gateway.gateway.pool.execute(
        "UPDATE tenant_configs SET created_at = $3 WHERE tenant_id = $1 AND version = $2",
        TENANT, version, datetime.combine(day, time(12), tzinfo=UTC),
    )  # fmt: skip


async def test_each_change_is_dated_and_its_effect_on_completion_measured(platform: Platform) -> None:
    gw, isolated = platform.gateway.gateway, platform.isolated
    admin_key = await keys.create_tenant(gw.pool, pepper=gw.pepper, tenant_id=TENANT, name="Debt")
    admin = {"Authorization": f"Bearer {admin_key.plaintext}"}
    stages = list(WORLD.config().stages)
    async with httpx.AsyncClient(base_url=platform.rest_url, timeout=10) as client:
        first = await client.put("/v1/admin/config", json=config_body(), headers=admin)
        assert first.status_code == 200, first.text
        await stored_on(platform, first.json()["version"], WORLD.go_live)
        with_demo = config_body(stages=[stages[0], "Demo", *stages[1:]])
        second = await client.put("/v1/admin/config", json=with_demo, headers=admin)
        assert second.status_code == 200, second.text
        await stored_on(platform, second.json()["version"], STAGE_ADDED_ON)

    events = [
        e
        for e in WORLD.events()
        if not (isinstance(e, crm_pb2.CrmEvent) and e.HasField("tenant_config_updated"))
    ]
    await publish_events(isolated.bootstrap_servers, isolated.topics, events)
    await eventually(
        lambda: caught_up(isolated.bootstrap_servers, platform.consumer_group, isolated.topics),
        timeout_sec=120,
    )
    # Scoring's own full rescore, run as on SNAPSHOT_ON: the team-health snapshot of that day.
    scoring_pool = await create_pool(isolated.database_url, schema=SCHEMA, max_size=2)
    try:
        at = datetime.combine(SNAPSHOT_ON, time(18), tzinfo=UTC)
        await build_rescore(scoring_pool, now=lambda: at).rescore_tenant(TENANT)
    finally:
        await scoring_pool.close()

    async with httpx.AsyncClient(base_url=platform.rest_url, timeout=10) as client:
        region = config_body(
            stages=with_demo["stages"],
            required_opportunity_fields=["Budget", "Region"],
            change_reference="deploy-0042",
        )
        third = await client.put("/v1/admin/config", json=region, headers=admin)
        assert third.status_code == 200, third.text
    await rescore_when_caught_up(platform, TENANT)
    async with isolated.client_tls.channel(f"127.0.0.1:{platform.scoring.grpc_port}") as channel:
        query = scoring_pb2_grpc.ScoringQueryStub(channel)
        # Scoring answers team health as of a past day from the snapshot it kept then.
        then = await query.GetTeamHealth(
            scoring_pb2.GetTeamHealthRequest(
                tenant_id=TENANT, team_id="team-a", as_of=str(TODAY - timedelta(1))
            )
        )
        assert then.as_of == SNAPSHOT_ON.isoformat()
        for as_of, code in (
            ((SNAPSHOT_ON - timedelta(days=1)).isoformat(), grpc.StatusCode.NOT_FOUND),
            ("2026-02-30", grpc.StatusCode.INVALID_ARGUMENT),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await query.GetTeamHealth(
                    scoring_pb2.GetTeamHealthRequest(tenant_id=TENANT, team_id="team-a", as_of=as_of)
                )
            assert refused.value.code() == code, as_of

    async with httpx.AsyncClient(base_url=platform.rest_url, timeout=10) as client:
        answer = await client.get("/v1/customization-debt", params={"team_id": "team-a"}, headers=admin)
    assert answer.status_code == 200, answer.text
    debt = answer.json()
    assert (debt["since"], debt["go_live_version"]) == (WORLD.go_live.isoformat(), first.json()["version"])
    assert debt["completion_now"] == TODAY.isoformat()
    [field] = debt["required_fields"]
    when = (field["changed_on"], field["version"], field["change_reference"])
    assert (field["field"], field["change"]) == ("Region", "added")
    assert when == (TODAY.isoformat(), third.json()["version"], "deploy-0042")
    assert (field["empty_share"], field["open_opportunities"]) == (1.0, 3)  # nobody fills it yet
    effect = field["completion"]
    assert effect["known"] is True
    assert (effect["before"], effect["before_as_of"]) == (0.6667, SNAPSHOT_ON.isoformat())  # 2 of 3
    assert (effect["now"], effect["now_as_of"]) == (0.3333, TODAY.isoformat())  # 2 of 6
    assert effect["change_points"] == -33.3
    [stage] = debt["stage_changes"]
    assert (stage["stage"], stage["change"], stage["changed_on"], stage["version"], stage["position"]) == (
        "Demo", "added", STAGE_ADDED_ON.isoformat(), second.json()["version"], 2,
    )  # fmt: skip
    assert stage["completion"]["known"] is False and stage["completion"]["before"] is None
    assert stage["completion"]["explanation"] == f"unknown: no data before {STAGE_ADDED_ON.isoformat()}"

    # gRPC gives the same answer.
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.gateway.grpc_port}") as channel:
        over_grpc = await gateway_pb2_grpc.GroundtruthStub(channel).GetCustomizationDebt(
            gateway_pb2.CustomizationDebtRequest(team_id="team-a"),
            metadata=(("authorization", f"Bearer {admin_key.plaintext}"),),
        )
    assert over_grpc.required_fields[0].completion.change_points == -33.3
    assert over_grpc.stage_changes[0].completion.explanation == stage["completion"]["explanation"]
