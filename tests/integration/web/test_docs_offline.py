"""/docs (Swagger UI) and /redoc in a real browser with the network blocked: every asset comes from
the gateway itself, nothing is asked of another host, and both pages render the whole API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect

from plumbing.embedded import InfrastructureEndpoints
from plumbing.embedded.mesh_ca import MeshFiles
from services.gateway.app import running_gateway
from tests.integration.conftest import TEST_SERVICE
from tests.integration.gateway.conftest import gateway_settings, isolated_environment
from tests.integration.gateway.fakes import running_upstreams

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def docs_url(endpoints: InfrastructureEndpoints, mesh: MeshFiles) -> AsyncIterator[str]:
    async with (
        isolated_environment(endpoints, mesh) as isolated,
        running_upstreams(["acme"], tls=isolated.mesh.tls(TEST_SERVICE)) as upstreams,
        running_gateway(gateway_settings(isolated, upstreams.target)) as running,
    ):
        yield f"http://127.0.0.1:{running.http_port}"


async def test_the_documentation_pages_name_only_local_assets(docs_url: str) -> None:
    async with httpx.AsyncClient(base_url=docs_url, timeout=10) as client:
        for page in ("/docs", "/redoc"):
            answer = await client.get(page)
            assert answer.status_code == 200
            assert "cdn." not in answer.text and "https://" not in answer.text.split("<body")[0]
            assert "/docs-assets/" in answer.text
            assert "default-src 'self'" in answer.headers["content-security-policy"]
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
            assert (await client.get(f"/docs-assets/{asset}")).status_code == 200


async def _offline_page(browser: Browser, base: str, path: str) -> tuple[Page, list[str]]:
    """The page at `path` with every request to another origin refused (and recorded)."""
    origin = urlsplit(base).netloc
    elsewhere: list[str] = []
    context = await browser.new_context()

    async def only_the_gateway(route: Route) -> None:
        if urlsplit(route.request.url).netloc == origin or route.request.url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_the_gateway)
    page = await context.new_page()
    await page.goto(f"{base}{path}")
    return page, elsewhere


async def test_swagger_ui_works_offline(docs_url: str, browser: Browser) -> None:
    page, elsewhere = await _offline_page(browser, docs_url, "/docs")
    try:
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text(
            "Groundtruth API", timeout=20_000
        )
        operations = page.locator(".opblock")
        await expect(operations.first).to_be_visible()
        assert await operations.count() >= 30  # every operation of the API is listed
        await expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    finally:
        await page.context.close()
    assert elsewhere == [], f"/docs asked other hosts: {elsewhere}"


async def test_redoc_works_offline(docs_url: str, browser: Browser) -> None:
    page, elsewhere = await _offline_page(browser, docs_url, "/redoc")
    try:
        await expect(page.locator("h1").first).to_contain_text("Groundtruth API", timeout=30_000)
        await expect(page.get_by_text("/v1/crm/events").first).to_be_attached()
    finally:
        await page.context.close()
    assert elsewhere == [], f"/redoc asked other hosts: {elsewhere}"
