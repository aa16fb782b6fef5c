"""A person opens an opportunity in Tryton's own web client (sao, served by trytond) and sees the
meetings and e-mails Groundtruth captured, on the tab the `groundtruth` module adds.

Drives Debian's Chromium through Playwright like tests/integration/web; skips without Chromium or
without the web client (`make install` installs it from npm).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from plugins.tryton.connector import mapping
from plugins.tryton.sandbox import demo as tryton_demo
from plugins.tryton.sandbox.server import sao_root
from tests.conftest import eventually
from tests.integration.tryton.world import TrytonWorld, running_connector
from tests.integration.web.conftest import CHROMIUM_ARGS, SCREENSHOTS, chromium_path

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "no Chromium on this machine: install Debian's `chromium` package to run the browser tests"
        )
    if sao_root() is None:
        pytest.skip("Tryton's web client is not installed: `make install` installs it with npm")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def test_a_rep_opens_an_opportunity_and_sees_the_captured_meetings_and_emails(
    tryton_world: TrytonWorld, browser: Browser
) -> None:
    world = tryton_world
    async with world.rpc() as admin, running_connector(world):

        async def written() -> bool:
            rows = await admin.search_read(
                "groundtruth.activity", [("opportunity", "!=", None), ("subject", "!=", None)], ["id"]
            )
            return len(rows) > 5

        await eventually(written, timeout_sec=90, interval_sec=0.5)
        (activity,) = await admin.search_read(
            "groundtruth.activity", [("opportunity", "!=", None), ("subject", "!=", None)],
            ["subject", "opportunity", "kind"], order=[("occurred_at", "DESC")], limit=1,
        )  # fmt: skip
        opportunity = activity["opportunity"]
        (deal,) = await admin.search_read(
            mapping.OPPORTUNITY, [("id", "=", opportunity)], ["employee", "party.rec_name"]
        )
        owner = next(rep for rep, employee in world.loaded.employees.items() if employee == deal["employee"])

    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        await page.goto(f"{world.site.url}/")
        await page.fill("#login", owner.split("@")[0])
        await page.click("button[type=submit]")
        password = page.locator("input[type=password]")
        await password.fill(tryton_demo.REP_PASSWORD)
        await password.press("Enter")
        await expect(page.get_by_text("Sales", exact=True)).to_be_visible(timeout=30_000)
        # Open the opportunity (a link to it, as Tryton gives one), then the tab the module adds.
        await page.evaluate(
            f"window.location.hash = '#{world.site.database}/model/sale.opportunity/{opportunity}'"
        )
        tab = page.get_by_role("tab", name="Activities (Groundtruth)")
        await expect(tab).to_be_visible(timeout=30_000)
        await tab.click()
        row = page.locator("tr", has_text=activity["subject"]).first
        await expect(row).to_be_visible(timeout=30_000)
        await expect(row).to_contain_text("Meeting" if activity["kind"] == "meeting" else "E-mail")
        await expect(row).to_contain_text(deal["party."]["rec_name"])
        SCREENSHOTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(Path(SCREENSHOTS) / "tryton-opportunity-activities.png"))
    finally:
        await page.close()
