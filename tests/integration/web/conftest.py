"""A running platform full of believable data, and a headless Chromium to look at it.

`dashboard_platform` is the one place that decides what data the pages show: today the synthetic
organisation of `services/scoring/synthetic/`, sent the way production data arrives (CRM events
through the gateway's ingest with a plugin key, captured activities on the activity topic).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from playwright.async_api import Browser, async_playwright

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.gateway.client import GroundtruthClient
from services.gateway.domain import api_keys
from services.gateway.domain.principal import Principal, Role
from services.gateway.operations import admin, keys
from services.scoring.synthetic.organisation import Organisation, OrganisationSpec
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.platform import Platform, running_platform
from tests.integration.scoring.scenario_support import caught_up, publish_events

TENANT = "webdemo"
MANAGER = "mgr-001"  # manages team-001 of the synthetic organisation
REP = "rep-00001"  # an adopter in team-001
SCREENSHOTS = Path(__file__).resolve().parents[3] / ".screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class DashboardPlatform:
    platform: Platform
    keys: dict[Role, str]
    manager_rep_id: str
    rep_id: str
    team_id: str

    @property
    def url(self) -> str:
        return self.platform.rest_url

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


async def _issue_keys(platform: Platform) -> dict[Role, str]:
    gw = platform.gateway.gateway
    first = await keys.create_tenant(gw.pool, pepper=gw.pepper, tenant_id=TENANT, name="Web demo")
    issued = {Role.ADMIN: first.plaintext}
    for role, rep_id in ((Role.MANAGER, MANAGER), (Role.REP, REP), (Role.PLUGIN, None)):
        created = await keys.issue_key(
            gw.pool, pepper=gw.pepper, tenant_id=TENANT, name=f"web {role}", role=role,
            rep_id=rep_id, created_by="test",
        )  # fmt: skip
        issued[role] = created.plaintext
    return issued


async def _seed(platform: Platform, organisation: Organisation, plugin_key: str, admin_key_id: str) -> None:
    gw = platform.gateway.gateway
    principal = Principal(tenant_id=TENANT, key_id=admin_key_id, role=Role.ADMIN)
    await admin.set_config(gw, principal, organisation.config(), expected_version=None)
    crm: list[crm_pb2.CrmEvent] = []
    activities: list[activity_pb2.Activity] = []
    for event in organisation.events():
        if isinstance(event, activity_pb2.Activity):
            activities.append(event)
        elif event.WhichOneof("payload") != "tenant_config_updated":
            plugin_event = crm_pb2.CrmEvent()
            plugin_event.CopyFrom(event)
            plugin_event.ClearField("tenant_id")  # the tenant comes from the plugin's key
            plugin_event.ClearField("event_id")  # assigned by the gateway
            crm.append(plugin_event)
    target = f"127.0.0.1:{platform.gateway.grpc_port}"
    async with GroundtruthClient(target, plugin_key, timeout_sec=30) as client:
        for start in range(0, len(crm), 500):
            answer = await client.ingest(crm[start : start + 500])
            assert answer.rejected == 0, [i.errors for i in answer.items if i.errors][:3]
    isolated = platform.isolated
    await publish_events(isolated.bootstrap_servers, isolated.topics, activities)
    await eventually(
        lambda: caught_up(isolated.bootstrap_servers, platform.consumer_group, isolated.topics),
        timeout_sec=120,
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.scoring.grpc_port}") as channel:
        rescored = await scoring_pb2_grpc.ScoringAdminStub(channel).RescoreTenant(
            scoring_pb2.RescoreTenantRequest(tenant_id=TENANT)
        )
        assert rescored.reps_scored >= len(organisation.reps)


@pytest.fixture(scope="module")
async def dashboard_platform(isolated: Isolated) -> AsyncIterator[DashboardPlatform]:
    organisation = Organisation(
        OrganisationSpec(tenant_id=TENANT, reps=8, days=35, today=datetime.now(UTC).date())
    )
    async with running_platform(isolated) as platform:
        issued = await _issue_keys(platform)
        admin_key = api_keys.parse(issued[Role.ADMIN])
        assert admin_key is not None
        admin_key_id = admin_key.key_id
        await _seed(platform, organisation, issued[Role.PLUGIN], admin_key_id)
        yield DashboardPlatform(platform, issued, MANAGER, REP, team_id="team-001")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "no Chromium on this machine: install Debian's `chromium` package (CI's .ci/run does) "
            "to run the browser tests"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
