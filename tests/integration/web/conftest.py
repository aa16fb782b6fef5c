"""A running platform full of believable data, and a headless Chromium to look at it.

`dashboard_platform` is the one place that decides what data the pages show: the demo organisation
that `make run` shows (tests/integration/demo.py::running_demo), loaded the way production data
arrives (capture backfilling the emulated mailboxes, CRM events through the plugin client).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from services.gateway.domain.principal import Role
from services.sandbox.demo.keys import demo_keys
from tests.integration.conftest import Isolated
from tests.integration.platform import TEST_API_KEY_PEPPER, Platform
from tests.integration.sandbox.demo import running_demo

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
    other_team_id: str  # a team the manager does not manage

    @property
    def url(self) -> str:
        return self.platform.rest_url

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


@pytest.fixture(scope="module")
async def dashboard_platform(
    isolated: Isolated, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DashboardPlatform]:
    """The demo organisation exactly as `make run` loads it (emulated mailboxes backfilled by capture,
    CRM history through the plugin client, one rescore), with a key of every role: the manager of the
    first team and an adopter of that team."""
    async with running_demo(isolated, tmp_path_factory.mktemp("web-demo")) as demo:
        team, rep = demo.story.showcase()
        # The demo's own admin key stays valid (asking demo_keys for an admin would revoke it).
        wanted = [(Role.MANAGER, team.manager_rep_id), (Role.REP, rep.rep_id), (Role.PLUGIN, None)]
        tenant = demo.story.tenant_id
        issued = await demo_keys(isolated.database_url, TEST_API_KEY_PEPPER, wanted, tenant_id=tenant)
        keys = {Role.ADMIN: demo.admin_key} | {key.role: key.secret for key in issued}
        other_team = demo.story.organisation.teams[1]
        yield DashboardPlatform(
            demo.platform,
            keys,
            team.manager_rep_id,
            rep.rep_id,
            team.team_id,
            other_team.team_id,
        )


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
