"""Out of office end to end: an `showAs: oof` entry in the Microsoft 365 emulator → capture (the real
Graph client) → the real broker → scoring on the real PostgreSQL → the gateway's REST API. The rep
reads "away" (no reconnect advice), is judged over the days present only, and nothing of the entry
but its times left capture."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.gateway.admin.keys import create_tenant
from tests.conftest import eventually
from tests.integration.capture.harness import CLIENT_ID, CLIENT_SECRET, DOMAIN
from tests.integration.cli.support import CliPlatform, running_cli_platform
from tests.integration.conftest import Isolated
from tests.integration.platform import TEST_API_KEY_PEPPER

pytestmark = pytest.mark.integration
AWAY_MAILBOX, PEER_MAILBOX = f"rep0001@{DOMAIN}", f"rep0002@{DOMAIN}"
TODAY = datetime.now(UTC).date()
HOLIDAY_START = datetime.combine(TODAY - timedelta(days=2), time(0), tzinfo=UTC)
SUBJECT = "Holiday in Lisbon"


@pytest.fixture(scope="module")
async def platform(
    isolated: Isolated, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[CliPlatform]:
    async with running_cli_platform(isolated, Path(tmp_path_factory.mktemp("oof-tls"))) as running:
        yield running


@pytest.fixture(scope="module")
async def admin(platform: CliPlatform) -> AsyncIterator[httpx.AsyncClient]:
    created = await create_tenant(
        platform.gateway.gateway.pool, pepper=TEST_API_KEY_PEPPER.encode(), tenant_id="acme", name="Acme"
    )
    headers = {"Authorization": f"Bearer {created.plaintext}"}
    async with httpx.AsyncClient(base_url=f"{platform.url}/v1", headers=headers, timeout=10) as client:
        yield client


async def _json(client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    response = await client.request(method, path, json=body)
    assert response.status_code < 300, response.text
    return response.json()


async def test_a_holiday_in_the_calendar_reads_away_through_the_whole_platform(
    platform: CliPlatform, admin: httpx.AsyncClient
) -> None:
    # Five days out of office, from two days ago, as Outlook makes them (all day, show as "oof").
    platform.emulator.add_event(
        AWAY_MAILBOX, organizer=AWAY_MAILBOX, attendees=[], start=HOLIDAY_START, minutes=5 * 24 * 60,
        subject=SUBJECT, show_as="oof", is_all_day=True,
    )  # fmt: skip
    await _json(
        admin, "POST", "/admin/connections/microsoft",
        {"connection_id": "m365", "directory_tenant_id": platform.directory, "client_id": CLIENT_ID,
         "client_secret": CLIENT_SECRET},
    )  # fmt: skip
    await _json(
        admin, "PUT", "/admin/connections/m365/mailboxes",
        {"mailboxes": [{"address": AWAY_MAILBOX, "rep_id": "rep-away"},
                       {"address": PEER_MAILBOX, "rep_id": "rep-peer"}]},
    )  # fmt: skip

    async def away() -> bool:
        response = await admin.get("/reps/rep-away/score")
        return response.status_code == 200 and response.json()["capture"]["status"] == "away"

    await eventually(away, timeout_sec=90)
    score = await _json(admin, "GET", "/reps/rep-away/score")
    assert "out of office" in score["capture"]["explanation"]
    # Judged over the days present: the window's 28 days less the 3 away so far (today included).
    logins = next(i for i in score["adoption_inputs"] if i["name"] == "crm_login_days")
    assert logins["denominator"] == 28 - 3, logins
    peer = await _json(admin, "GET", "/reps/rep-peer/score")
    peer_logins = next(i for i in peer["adoption_inputs"] if i["name"] == "crm_login_days")
    assert peer["capture"]["status"] != "away" and peer_logins["denominator"] == 28

    diagnostics = await _json(admin, "GET", "/diagnostics")
    about_away = [d for d in diagnostics["diagnostics"] if d.get("rep_id") == "rep-away"]
    assert not [d for d in about_away if d["kind"].startswith("capture_")], about_away
    assert "reconnect" not in str(about_away)

    # Only the period was captured: no activity, no subject, anywhere downstream.
    activities = await _json(admin, "GET", "/reps/rep-away/activities")
    assert SUBJECT not in str(activities)
    conn = await asyncpg.connect(platform.isolated.database_url)
    try:
        periods = await conn.fetch(
            "SELECT starts_at, ends_at, removed FROM scoring.rep_away_periods WHERE rep_id = 'rep-away'"
        )
        leaked = await conn.fetchval(
            "SELECT count(*) FROM scoring.activities "
            "WHERE rep_id = 'rep-away' AND position(convert_to($1, 'UTF8') in payload) > 0",
            SUBJECT,
        )
    finally:
        await conn.close()
    assert [(p["starts_at"], p["ends_at"], p["removed"]) for p in periods] == [
        (HOLIDAY_START, HOLIDAY_START + timedelta(days=5), False)
    ]
    assert leaked == 0
