"""What managers and reps see on the demo, checked against the API in a real browser: numbers that add
up, "no data" as null and as gaps, people by name, managers apart, the charts with their text
alternatives, axe-core at 0 serious violations on every page, and every page on a 375 px phone.

`test_screenshots_of_every_page` also writes the documentation's screenshots when GT_SCREENSHOTS_DIR
is set (`make screenshots`); otherwise they go to .screenshots/ like the other browser tests'.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from services.gateway.domain.principal import Role
from tests.integration.web.conftest import DashboardPlatform
from tests.integration.web.test_pages import DESKTOP, PHONE, api, sign_in

pytestmark = pytest.mark.integration
AXE = Path(__file__).resolve().parents[3] / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
TZ = "Europe/Berlin"  # the rep's browser: the page must use it, not UTC


def wau(health: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in health["metrics"] if m["name"] == "weekly_active_users")


async def test_the_api_adds_up_and_says_no_data_with_null(dashboard_platform: DashboardPlatform) -> None:
    env = dashboard_platform
    config = await api(env, Role.ADMIN, "/v1/admin/config")
    tenant = await api(env, Role.ADMIN, "/v1/team-health")
    teams = [await api(env, Role.ADMIN, "/v1/team-health", team_id=t["team_id"]) for t in config["teams"]]
    # The teams' parts sum to the whole: members, weekly active (no rep is outside a team in the demo).
    assert tenant["reps_outside_teams"] == 0
    assert (
        sum(t["members"] for t in teams)
        == tenant["members"]
        == sum(len(t["member_rep_ids"]) for t in config["teams"])
    )
    assert sum(wau(t)["numerator"] for t in teams) == wau(tenant)["numerator"]
    assert sum(wau(t)["denominator"] for t in teams) == wau(tenant)["denominator"] == tenant["members"]
    for health in (tenant, *teams):  # ratios over every member, managers apart
        for metric in health["metrics"]:
            if metric["name"] in ("weekly_active_users", "dau_mau"):
                assert metric["denominator"] == health["members"], metric
            assert (metric["value"] is None) is (not metric["available"]), metric
    # The worst team (every rep a ghost or a skeptic) cannot look healthy.
    smb = next(t for t in teams if t["team_id"] == "digital-smb")
    assert not any(
        m["meets_target"] for m in smb["metrics"] if m["name"] in ("weekly_active_users", "dau_mau")
    )

    scores = (await api(env, Role.ADMIN, "/v1/scores", page_size="500"))["scores"]
    people = {p["rep_id"]: p for p in config["people"]}
    names = [s["display_name"] for s in scores]
    assert all(names) and len(set(names)) == len(names)  # everybody by name, no two alike
    assert len({n.split()[0] for n in names}) == len(names)  # not even two first names
    for score in scores:
        assert score["display_name"] == people[score["rep_id"]]["display_name"]
        assert (score["classification"] == "manager") is (people[score["rep_id"]]["role"] == "manager")
        if score["classification"] in ("ghost", "skeptic", "manager"):
            assert score["data_quality_score"] is None and score["data_quality_unavailable_reason"], score
        for point in score["trend"]:  # a missing week is null, never 0.0
            assert point["data_quality_score"] is None or point["has_data_quality"]
            assert point["data_quality_score"] != 0.0 or point["has_data_quality"]
        for item in score["adoption_inputs"] + score["data_quality_inputs"]:
            if item["explanation"].startswith("not scored:"):
                assert item["value"] is None, item
        assert "0.0 days" not in " ".join(score["reasons"])
    weeks = {len(s["trend"]) for s in scores}
    assert min(weeks) >= 9  # since go-live, 60 days ago: not 4 weeks
    adopters = [s for s in scores if s["classification"] == "adopter"]
    assert adopters and all(
        next(i for i in s["data_quality_inputs"] if i["name"] == "update_cadence")["value"] > 0
        for s in adopters
    )  # a rep who moves deals twice a week has updated deals this week
    diagnostics = (await api(env, Role.ADMIN, "/v1/diagnostics"))["diagnostics"]
    assert not any("0.0 days" in d["title"] for d in diagnostics)
    duplicates = next(d for d in diagnostics if d["kind"] == "duplicates")
    named = [e for e in duplicates["evidence"] if e["object_type"] == "account"]
    assert len(named) >= 4 and all(e["ref"] and e["ref"] in e["value"] for e in named)  # each record

    review = await api(env, Role.ADMIN, "/v1/opportunities", review_ready="true", page_size="500")
    today = datetime.now(UTC).date().isoformat()
    assert review["opportunities"]
    for deal in review["opportunities"]:
        assert deal["next_step"] and deal["next_step_date"] >= today and deal["close_date"] >= today
        assert deal["owner_display_name"] == people[deal["owner_rep_id"]]["display_name"]
    everything = (await api(env, Role.ADMIN, "/v1/opportunities", page_size="500"))["opportunities"]
    assert len({d["amount"] for d in everything}) >= len(everything) // 2  # believable, varied deals
    assert len({d["close_date"] for d in everything}) >= len(everything) // 2


async def axe_serious(page: Page) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now."""
    assert AXE.exists(), f"axe-core is not installed at {AXE}: run make install (needs npm)"
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => `${v.id}: ${v.help} (${v.nodes.length}): `"
        " + v.nodes.slice(0, 3).map(n => n.target).join(' '))"
    )
    return list(found)


async def settle(page: Page) -> None:
    await expect(page.locator(".loading")).to_have_count(0)


PAGES = (  # (name, role, hash)
    ("dashboard-team", Role.MANAGER, "#/dashboard"),
    ("dashboard-all-teams", Role.ADMIN, "#/dashboard/"),
    ("rep-view", Role.REP, "#/me"),
)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_every_page_passes_axe_and_fits_the_screen(
    dashboard_platform: DashboardPlatform, browser: Browser, viewport: ViewportSize
) -> None:
    env = dashboard_platform
    # The pages' CSP forbids inline scripts (rightly): only this test's context may inject axe-core.
    context = await browser.new_context(viewport=viewport, timezone_id=TZ, bypass_csp=True)
    page = await context.new_page()
    try:
        await page.goto(env.url)
        await expect(page.get_by_label("API key or token")).to_be_visible()
        assert await axe_serious(page) == [], "sign-in"
        for name, role, route in PAGES:
            await sign_in(page, env, env.keys[role])
            await page.goto(f"{env.url}/app/{route}")
            await settle(page)
            assert await axe_serious(page) == [], name
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} is {width}px wide on a {viewport['width']}px screen"
            await page.get_by_role("button", name="Sign out").click()
    finally:
        await context.close()


async def test_the_pages_show_names_charts_and_sums(
    dashboard_platform: DashboardPlatform, browser: Browser
) -> None:
    env = dashboard_platform
    scores = (await api(env, Role.ADMIN, "/v1/scores", page_size="500"))["scores"]
    config = await api(env, Role.ADMIN, "/v1/admin/config")
    context = await browser.new_context(viewport=DESKTOP, timezone_id=TZ)
    page = await context.new_page()
    try:
        await sign_in(page, env, env.keys[Role.ADMIN])
        await settle(page)
        # Teams side by side, with the sum check saying the teams add up.
        await expect(page.get_by_test_id("teams-add-up")).to_contain_text("add up to the whole")
        # One chart per team-health metric (five with the average data quality).
        await expect(page.locator("#compare [data-compare] svg[role=img]")).to_have_count(5)
        for team in config["teams"]:
            await expect(page.locator("#compare svg").first).to_contain_text(team["name"])
        # The class mix of every team, and the trend since go-live with its marks, each with a text
        # alternative and its numbers.
        mixes = page.locator("#classes [data-team-mix] svg[role=img]")
        await expect(mixes).to_have_count(len(config["teams"]))
        for chart in ("#trend", "#classes"):
            label = await page.locator(f"{chart} svg[role=img]").first.get_attribute("aria-label")
            assert label and len(label) > 20
            await expect(page.locator(f"{chart} details.chart-numbers table").first).to_be_attached()
        await expect(page.locator("#trend svg")).to_contain_text("go-live")
        await expect(page.locator("#trend svg")).to_contain_text("30 d")
        await expect(page.get_by_test_id("headline-vs-trend")).to_contain_text("trailing 28 days")
        # People by name; the address one focus (or tap) away; managers apart from the reps.
        managers = [s for s in scores if s["classification"] == "manager"]
        await expect(page.locator("#managers tbody tr")).to_have_count(len(managers))
        body = await page.locator("#reps").text_content() or ""  # per-team sections start collapsed
        for score in scores:
            if score["classification"] != "manager":
                assert score["display_name"] in body
        await page.locator("#reps details.team-reps summary").first.click()
        first = page.locator("#reps details[open] .person").first
        await first.focus()
        await expect(first.locator(".address")).to_be_visible()
        # Everyone else's address stays out of sight (clipped to 1 px) until hovered, focused or tapped.
        other = page.locator("#managers .person .address").first
        box = await other.bounding_box()
        assert box is not None and box["width"] <= 1 and box["height"] <= 1
        # The capture panel of every team lists only what needs attention.
        await expect(page.get_by_test_id("healthy-mailboxes")).to_be_visible()
        # Keyboard: the team picker is reachable and moves to a team.
        picker = page.get_by_label("Team", exact=True)
        options = await picker.locator("option").evaluate_all("o => o.map(x => x.value)")
        await picker.focus()
        await page.keyboard.press("ArrowDown")
        await expect(page).to_have_url(
            f"{env.url}/app/#/dashboard/{options[1]}"
        )  # the option after "All teams"
    finally:
        await context.close()


async def test_the_rep_page_speaks_the_reps_language(
    dashboard_platform: DashboardPlatform, browser: Browser
) -> None:
    env = dashboard_platform
    score = await api(env, Role.REP, "/v1/me/score")
    context = await browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, timezone_id=TZ, locale="de-DE"
    )
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url) if "/v1/me/agenda" in r.url else None)
    try:
        await sign_in(page, env, env.keys[Role.REP])
        await settle(page)
        await expect(page.locator("#agenda .why")).to_contain_text(TZ)
        assert requested and "time_zone=Europe%2FBerlin" in requested[0]
        await expect(page.locator("header .me")).to_have_text(score["display_name"])
        rows = await page.locator("#score table.inputs tbody th").all_inner_texts()
        assert rows and not any("_" in r or r.lower().startswith("crm ") for r in rows), rows
        gains = [
            i
            for i in score["adoption_inputs"] + score["data_quality_inputs"]
            if i["weight"] > 0 and i["weight"] - i["contribution"] >= 0.5
        ]
        if gains:  # what would raise the score first, worth the most missing points first
            await expect(page.get_by_test_id("improve").locator("li").first).to_be_visible()
        else:
            await expect(page.locator("#score")).to_contain_text("Every scored input is at its target")
        chart = page.locator("#score svg.chart.compact")
        await expect(chart).to_have_attribute("role", "img")
        await expect(page.locator("#score .legend li")).to_have_count(2)
        box = await chart.bounding_box()
        assert box is not None and box["width"] >= 300  # legible on a phone: the chart fills the width
        subjects = page.locator("#agenda .subject")
        if await page.locator("#agenda article.meeting").count():
            await expect(subjects.first).to_be_visible()  # the tenant shows subjects
    finally:
        await context.close()
    async with httpx.AsyncClient(base_url=env.url, timeout=10) as client:
        icon = await client.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
        bad = await client.get(
            "/v1/me/agenda", params={"time_zone": "Mars/Olympus"}, headers=env.headers(Role.REP)
        )
        assert bad.status_code == 400


@pytest.fixture
def screenshot_folder(screenshots: Path) -> Path:
    """docs/screenshots under `make screenshots` (GT_SCREENSHOTS_DIR), else .screenshots/."""
    folder = Path(os.environ.get("GT_SCREENSHOTS_DIR") or screenshots)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_screenshots_of_every_page(
    dashboard_platform: DashboardPlatform, browser: Browser, screenshot_folder: Path
) -> None:
    env = dashboard_platform
    folder = screenshot_folder
    taken = []
    for viewport, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = await browser.new_context(viewport=viewport, timezone_id=TZ)
        page = await context.new_page()
        try:
            await page.goto(env.url)
            await page.screenshot(path=str(folder / f"sign-in-{suffix}.png"))
            taken.append(f"sign-in-{suffix}.png")
            for name, role, route in PAGES:
                await sign_in(page, env, env.keys[role])
                await page.goto(f"{env.url}/app/{route}")
                await settle(page)
                await page.screenshot(path=str(folder / f"{name}-{suffix}.png"), full_page=True)
                taken.append(f"{name}-{suffix}.png")
                await page.get_by_role("button", name="Sign out").click()
        finally:
            await context.close()
    assert len(taken) == 2 * (1 + len(PAGES))
