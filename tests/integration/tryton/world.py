"""A real Tryton next to the real platform, holding a small demo organisation.

`running_tryton_world` starts the Microsoft 365 and Google emulators with a two-rep demo story, the
platform in-process (`running_platform`: real PostgreSQL and Kafka), and a `trytond` process on a
copy of a template SQLite database with the `groundtruth` module. The story's records are created in
Tryton through its API (plugins/tryton/sandbox/demo.py, what `make run CRM=tryton` does), the CRM
history is replayed under the Tryton ids, and the block starts once capture has backfilled every
mailbox. The connector is not started: each test runs it as it needs (in-process or as a process).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from pydantic import SecretStr

from plugins.tryton.connector.app import Connector
from plugins.tryton.connector.config import Settings as ConnectorSettings
from plugins.tryton.connector.jsonrpc import TrytonRpc
from plugins.tryton.sandbox import demo as tryton_demo
from plugins.tryton.sandbox import seed
from plugins.tryton.sandbox.server import ADMIN_LOGIN, TrytonServer, TrytonSite
from plumbing.embedded.process import free_port
from services.capture.adapters.secret_box import new_key
from services.client import GroundtruthClient
from services.sandbox.demo.adapters.emulators import google_world, seed_microsoft
from services.sandbox.demo.adapters.gateway import TenantAdmin, push_crm_events
from services.sandbox.demo.capture_settings import DEMO_CALENDAR_DAYS_BACK
from services.sandbox.demo.keys import demo_admin_key
from services.sandbox.demo.organisation import (
    DOMAINS,
    MICROSOFT_CLIENT_ID,
    MICROSOFT_CLIENT_SECRET,
    MICROSOFT_DIRECTORY_ID,
    DemoSpec,
    Provider,
)
from services.sandbox.demo.runner import wait_for_backfill
from services.sandbox.demo.story import DemoStory
from services.sandbox.emulators.google import GoogleEmulator
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from services.sandbox.emulators.tls import issue_tls
from tests.integration.conftest import Isolated
from tests.integration.platform import TEST_API_KEY_PEPPER, Platform, running_platform

ADMIN_PASSWORD = tryton_demo.ADMIN_PASSWORD
SMALL_DEMO = DemoSpec(reps=2, team_size=2, days=7)


@dataclass(frozen=True)
class TrytonWorld:
    platform: Platform
    isolated: Isolated
    site: TrytonSite
    server: TrytonServer
    story: DemoStory
    loaded: tryton_demo.TrytonDemo
    plugin_key: str
    admin_key: str

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.platform.gateway.grpc_port}"

    def connector_settings(self, **overrides: object) -> ConnectorSettings:
        values: dict[str, object] = {
            "url": self.site.url,
            "database": self.site.database,
            "user": seed.INTEGRATION_LOGIN,
            "password": SecretStr(tryton_demo.INTEGRATION_PASSWORD),
            "gateway_target": self.grpc_target,
            "api_key": SecretStr(self.plugin_key),
            "poll_interval_sec": 0.3,
            "scores_interval_sec": 1.0,
            "directory_ttl_sec": 0.0,
            "max_backoff_sec": 1.0,
            "overlap_sec": 5.0,
            **overrides,
        }
        return ConnectorSettings(**values)  # type: ignore[arg-type]

    def connector_env(self, **overrides: str) -> dict[str, str]:
        settings = self.connector_settings()
        env = {
            "GT_TRYTON_URL": settings.url,
            "GT_TRYTON_DATABASE": settings.database,
            "GT_TRYTON_USER": settings.user,
            "GT_TRYTON_PASSWORD": settings.password.get_secret_value(),
            "GT_TRYTON_GATEWAY_TARGET": settings.gateway_target,
            "GT_TRYTON_API_KEY": settings.api_key.get_secret_value(),
            "GT_TRYTON_POLL_INTERVAL_SEC": "0.3",
            "GT_TRYTON_MAX_BACKOFF_SEC": "1",
            "GT_TRYTON_OVERLAP_SEC": "5",
            "GT_TRYTON_DIRECTORY_TTL_SEC": "0",
        }
        return {**os.environ, **env, **overrides}

    def rpc(self, login: str = ADMIN_LOGIN, password: str = ADMIN_PASSWORD) -> TrytonRpc:
        return TrytonRpc(self.site.url, self.site.database, login, password)

    async def scoring(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.isolated.database_url)


@contextlib.asynccontextmanager
async def running_connector(world: TrytonWorld, **overrides: object) -> AsyncIterator[Connector]:
    """The connector in this process until the block ends."""
    connector = Connector(world.connector_settings(**overrides))
    stop = asyncio.Event()
    task = asyncio.create_task(connector.run(stop))
    try:
        yield connector
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


@contextlib.contextmanager
def connector_process(world: TrytonWorld, log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m plugins.tryton.connector` as its own process (the tests kill it)."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugins.tryton.connector"], env=world.connector_env(**env),
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def template_site(directory: Path) -> TrytonSite:
    site = TrytonSite(directory, "template", port=0)
    site.create_database(admin_password=ADMIN_PASSWORD)
    return site


@contextlib.asynccontextmanager
async def running_tryton_world(
    isolated: Isolated, state_dir: Path, template: TrytonSite
) -> AsyncIterator[TrytonWorld]:
    story = DemoStory(SMALL_DEMO)
    site = TrytonSite(state_dir / "tryton", "groundtruth", port=free_port())
    site.copy_database_from(template)
    server = TrytonServer(site)
    await asyncio.to_thread(server.start)
    tls = issue_tls(state_dir / "tls")
    microsoft = MicrosoftEmulator(tls=tls)
    seed_microsoft(microsoft, story)
    google = GoogleEmulator(google_world(story))
    try:
        async with microsoft.running():
            await google.start()
            try:
                async with _platform(isolated, microsoft, google, tls.ca_path) as platform:
                    yield await _load(isolated, platform, site, server, story, google)
            finally:
                await google.stop()
    finally:
        server.stop()


def _platform(
    isolated: Isolated, microsoft: MicrosoftEmulator, google: GoogleEmulator, ca_path: Path
) -> contextlib.AbstractAsyncContextManager[Platform]:
    overrides = {
        "secret_keys": SecretStr(new_key()),
        "microsoft_authority_base": microsoft.authority_base,
        "microsoft_graph_base_url": microsoft.graph_base_url,
        "microsoft_ca_bundle": str(ca_path),
        "google_token_uri": google.token_uri,
        "google_gmail_endpoint": google.base_url,
        "google_calendar_endpoint": google.calendar_endpoint,
        "calendar_days_back": DEMO_CALENDAR_DAYS_BACK,
        "poll_interval_sec": 2.0,
    }
    return running_platform(isolated, capture_overrides=overrides)


async def _load(
    isolated: Isolated,
    platform: Platform,
    site: TrytonSite,
    server: TrytonServer,
    story: DemoStory,
    google: GoogleEmulator,
) -> TrytonWorld:
    async with TrytonRpc(site.url, site.database, ADMIN_LOGIN, ADMIN_PASSWORD) as rpc:
        loaded = await tryton_demo.load(rpc, story.crm_events, tryton_demo.people(story))
    admin_key = await demo_admin_key(isolated.database_url, TEST_API_KEY_PEPPER)
    headers = {"Authorization": f"Bearer {admin_key}"}
    async with httpx.AsyncClient(base_url=platform.rest_url, headers=headers, timeout=30) as rest:
        admin = TenantAdmin(rest)
        await _set_up_tenant(admin, story, google)
        plugin_key = await admin.plugin_key()
        async with GroundtruthClient(f"127.0.0.1:{platform.gateway.grpc_port}", plugin_key) as client:
            history = tryton_demo.history(story.crm_events, loaded.ids)
            _, backfilled = await asyncio.gather(
                push_crm_events(client, history), wait_for_backfill(admin, story, timeout_sec=120)
            )
    assert backfilled, "capture did not backfill every demo mailbox in 120 s"
    return TrytonWorld(platform, isolated, site, server, story, loaded, plugin_key, admin_key)


async def _set_up_tenant(admin: TenantAdmin, story: DemoStory, google: GoogleEmulator) -> None:
    """As the demo's `set_up_tenant`, with the configuration of a tenant on Tryton, and only the
    connections that have mailboxes."""
    await admin.set_config(tryton_demo.config_body(story.config_body()))
    await admin.set_capture_policy(story.capture_policy_body())
    for provider in Provider:
        mailboxes = story.mailboxes_body(provider)
        if not mailboxes["mailboxes"]:
            continue
        if provider is Provider.MICROSOFT:
            await admin.register_microsoft(
                connection_id=story.connection_id(provider), directory=MICROSOFT_DIRECTORY_ID,
                client_id=MICROSOFT_CLIENT_ID, secret=MICROSOFT_CLIENT_SECRET,
            )  # fmt: skip
        else:
            await admin.register_google(
                connection_id=story.connection_id(provider), key=google.key_file(), domain=DOMAINS[provider]
            )
        await admin.upsert_mailboxes(story.connection_id(provider), mailboxes)
