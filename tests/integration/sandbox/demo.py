"""`running_demo`: the demo organisation on a running platform, for tests that need believable data.

The demo's mailboxes are seeded into in-process Microsoft 365 and Google emulators; the platform
(scoring, capture, gateway: `running_platform`, real PostgreSQL and broker) is set up exactly as
`make run` does it, through the gateway's admin API and the plugin client, and the fixture returns
once capture has backfilled every mailbox, scoring has consumed everything and one full rescore ran.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from services.capture.adapters.secret_box import new_key
from services.client import GroundtruthClient
from services.sandbox.demo.adapters.emulators import InProcessEmulators, google_world, seed_microsoft
from services.sandbox.demo.adapters.gateway import TenantAdmin, push_crm_events
from services.sandbox.demo.capture_settings import DEMO_CALENDAR_DAYS_BACK
from services.sandbox.demo.keys import demo_admin_key
from services.sandbox.demo.live import LiveStory
from services.sandbox.demo.organisation import DemoSpec
from services.sandbox.demo.runner import rescore, set_up_tenant, tick_forever, wait_for_backfill
from services.sandbox.demo.story import DemoStory
from services.sandbox.emulators.google import GoogleEmulator
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from services.sandbox.emulators.tls import issue_tls
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.platform import TEST_API_KEY_PEPPER, Platform, committed_through_end, running_platform


@dataclass(frozen=True)
class RunningDemo:
    """Where the demo answers and what it contains.

    `rest_url` is the gateway's REST base (`.../v1` is appended by callers), `grpc_target` its gRPC
    address; `admin_key` is the demo tenant's admin key; `story` is the ground truth (teams, managers,
    reps with their archetypes, every mailbox item and CRM event pushed).
    """

    rest_url: str
    grpc_target: str
    admin_key: str
    story: DemoStory
    platform: Platform
    microsoft: MicrosoftEmulator
    google: GoogleEmulator


@contextlib.asynccontextmanager
async def running_demo(
    isolated: Isolated,
    state_dir: Path,
    *,
    spec: DemoSpec | None = None,
    tick_interval_sec: float = 0.0,
) -> AsyncIterator[RunningDemo]:
    """The demo, loaded and scored. `state_dir` holds the emulators' TLS files. With
    `tick_interval_sec` > 0 live activity keeps arriving (as under `make run`) until the block ends."""
    story = DemoStory(spec)
    tls = issue_tls(state_dir / "tls")
    microsoft = MicrosoftEmulator(tls=tls)
    seed_microsoft(microsoft, story)
    google = GoogleEmulator(google_world(story))
    async with microsoft.running():
        await google.start()
        try:
            overrides = {
                "secret_keys": SecretStr(new_key()),
                "microsoft_authority_base": microsoft.authority_base,
                "microsoft_graph_base_url": microsoft.graph_base_url,
                "microsoft_ca_bundle": str(tls.ca_path),
                "google_token_uri": google.token_uri,
                "google_gmail_endpoint": google.base_url,
                "google_calendar_endpoint": google.calendar_endpoint,
                "calendar_days_back": DEMO_CALENDAR_DAYS_BACK,
                "poll_interval_sec": 2.0,  # no push subscriptions here: live items arrive by polling
            }
            async with running_platform(isolated, capture_overrides=overrides) as platform:
                admin_key = await demo_admin_key(isolated.database_url, TEST_API_KEY_PEPPER)
                grpc_target = f"127.0.0.1:{platform.gateway.grpc_port}"
                headers = {"Authorization": f"Bearer {admin_key}"}
                async with httpx.AsyncClient(base_url=platform.rest_url, headers=headers, timeout=30) as rest:
                    admin = TenantAdmin(rest)
                    await set_up_tenant(admin, story, google_key=google.key_file())
                    async with GroundtruthClient(grpc_target, await admin.plugin_key()) as client:
                        # Capture backfills while the plugin pushes the CRM history, as under `make run`.
                        _, backfilled = await asyncio.gather(
                            push_crm_events(client, story.crm_events),
                            wait_for_backfill(admin, story, timeout_sec=120),
                        )
                        assert backfilled, "capture did not backfill every demo mailbox in 120 s"
                        await eventually(
                            lambda: _consumed(isolated, platform.consumer_group),
                            timeout_sec=60,
                            interval_sec=0.5,
                        )
                        await rescore(
                            f"127.0.0.1:{platform.scoring.grpc_port}", story.tenant_id, isolated.client_tls
                        )
                        async with _ticking(story, microsoft, google, client, tick_interval_sec):
                            yield RunningDemo(
                                platform.rest_url, grpc_target, admin_key, story, platform, microsoft, google
                            )
        finally:
            await google.stop()


async def _consumed(isolated: Isolated, group: str) -> bool:
    """Scoring has committed everything capture and the plugin published."""
    for topic in (isolated.topics.activity_captured, isolated.topics.crm_events):
        if not await committed_through_end(isolated.bootstrap_servers, group, topic):
            return False
    return True


@contextlib.asynccontextmanager
async def _ticking(
    story: DemoStory,
    microsoft: MicrosoftEmulator,
    google: GoogleEmulator,
    client: GroundtruthClient,
    interval_sec: float,
) -> AsyncIterator[None]:
    if interval_sec <= 0:
        yield
        return
    stop = asyncio.Event()
    sink = InProcessEmulators(microsoft, google.world)
    task = asyncio.create_task(
        tick_forever(LiveStory(story), sink, client, interval_sec=interval_sec, stop=stop)
    )
    try:
        yield
    finally:
        stop.set()
        await task
