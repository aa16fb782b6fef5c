"""`python -m services.sandbox.demo`: the demo tenant's admin, CRM plugin and live activity (`make run`).

Sets the `demo` tenant up through the gateway, pushes the CRM's 60 days of history, waits for capture
to backfill the emulated mailboxes, asks scoring for one full rescore, then adds activity every few
seconds until stopped. `/status` on GT_DEMO_HTTP_PORT tells how far it got.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from groundtruth.crm.v1 import crm_pb2
from plumbing.lifecycle import run_until_signalled
from plumbing.logs import configure_logging
from plumbing.tls import MeshTls
from services.client import GroundtruthClient
from services.sandbox.demo.adapters.emulators import EmulatorControlApi
from services.sandbox.demo.adapters.gateway import TenantAdmin, push_crm_events
from services.sandbox.demo.capture_settings import route_gmail_push_async
from services.sandbox.demo.live import LiveStory
from services.sandbox.demo.runner import rescore, set_up_tenant, tick_forever, wait_for_backfill
from services.sandbox.demo.settings import Settings
from services.sandbox.demo.story import DemoStory, story_for
from services.sandbox.emulators.server import AsgiServer

_log = logging.getLogger("services.sandbox.demo")


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    status: dict[str, Any] = {"phase": "starting"}

    async def show(_: Request) -> JSONResponse:
        return JSONResponse(status)

    server = AsgiServer(
        Starlette(routes=[Route("/healthz", show), Route("/status", show)]),
        host=settings.host,
        port=settings.http_port,
    )
    await server.start()
    work = asyncio.create_task(_run(settings, stop, status))
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if work.done():
            work.result()  # a failed set-up ends the process, so the supervisor restarts it
    finally:
        for task in (work, stopped):
            task.cancel()
        await asyncio.gather(work, stopped, return_exceptions=True)
        await server.stop()


async def _run(settings: Settings, stop: asyncio.Event, status: dict[str, Any]) -> None:
    started = time.monotonic()
    story = story_for(settings.seed, settings.today)
    headers = {"Authorization": f"Bearer {settings.admin_key.get_secret_value()}"}
    async with (
        httpx.AsyncClient(
            base_url=settings.gateway_url, headers=headers, timeout=30, trust_env=False
        ) as rest,
        httpx.AsyncClient(timeout=10, trust_env=False) as control_http,
    ):
        admin, emulators = TenantAdmin(rest), EmulatorControlApi(control_http, settings.emulators_control_url)
        status["phase"] = "setting up the tenant"
        await set_up_tenant(admin, story, google_key=await emulators.google_key())
        if settings.capture_url:
            await route_gmail_push_async(control_http, settings.emulators_control_url, settings.capture_url)
        history: list[crm_pb2.CrmEvent] = list(story.crm_events)
        live_events: Callable[[Sequence[crm_pb2.CrmEvent]], Sequence[crm_pb2.CrmEvent]] = _unchanged
        if settings.crm == "tryton":
            status["phase"] = "loading the demo organisation into Tryton"
            history, live_events = await _in_tryton(settings, story, admin)
        plugin_key = await admin.plugin_key()
        async with GroundtruthClient(settings.gateway_grpc_target, plugin_key) as client:
            status["phase"] = "pushing the CRM history while capture backfills the mailboxes"
            status["crm_events"], status["backfilled"] = await asyncio.gather(
                push_crm_events(client, history),
                wait_for_backfill(admin, story, timeout_sec=settings.backfill_timeout_sec),
            )
            if settings.scoring_target:
                await asyncio.sleep(3)  # scoring's consumer batches close within a fraction of that
                tls = MeshTls.from_settings(
                    settings.tls_ca_file, settings.tls_cert_file, settings.tls_key_file
                )
                await rescore(settings.scoring_target, story.tenant_id, tls)
            status["loaded_in_sec"] = round(time.monotonic() - started, 1)
            _log.info("demo history loaded", extra=dict(status))
            if settings.tick_interval_sec <= 0:
                status["phase"] = "loaded (no live activity)"
                await stop.wait()
                return
            status["phase"] = f"live: activity every {settings.tick_interval_sec:g} s"
            live = LiveStory(story)
            await tick_forever(
                live, emulators, client, interval_sec=settings.tick_interval_sec, stop=stop,
                on_tick=lambda tick: status.__setitem__("ticks", tick.number + 1), crm_events=live_events,
            )  # fmt: skip


def _unchanged(events: Sequence[crm_pb2.CrmEvent]) -> Sequence[crm_pb2.CrmEvent]:
    return events


async def _in_tryton(
    settings: Settings, story: DemoStory, admin: TenantAdmin
) -> tuple[list[crm_pb2.CrmEvent], Callable[[Sequence[crm_pb2.CrmEvent]], Sequence[crm_pb2.CrmEvent]]]:
    """Tryton holds the records (plugins/tryton/sandbox/demo.py): create them there, configure the
    tenant for Tryton's fields and stages; the history and live events then use Tryton's ids."""
    from plugins.tryton.connector.jsonrpc import TrytonRpc
    from plugins.tryton.sandbox import demo as tryton_demo

    password = settings.tryton_admin_password.get_secret_value()
    async with TrytonRpc(settings.tryton_url, settings.tryton_database, "admin", password) as rpc:
        loaded = await tryton_demo.load(rpc, story.crm_events, tryton_demo.people(story))
    await admin.set_config(tryton_demo.config_body(story.config_body()))
    return tryton_demo.history(story.crm_events, loaded.ids), lambda events: tryton_demo.live_events(
        events, loaded.ids
    )


def main() -> None:
    settings = Settings()  # type: ignore[call-arg]  # admin_key comes from the environment
    configure_logging(service="demo", level="INFO", json_format=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request drowns the story
    run_until_signalled(lambda stop: serve(settings, stop))


if __name__ == "__main__":
    main()
