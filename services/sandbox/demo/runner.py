"""Bringing the demo to life: set the tenant up, push the CRM's history, then keep activity coming.

Everything goes through the public surfaces a real tenant uses: the gateway's REST admin API with the
admin key (configuration with teams and managers, capture policy, both provider connections, the
reps' mailboxes, a plugin key) and the plugin client for CRM events. Capture then backfills the
mailboxes from the emulators through the real connectors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.tls import MeshTls
from services.client import GroundtruthClient
from services.sandbox.demo.adapters.emulators import MailboxSink
from services.sandbox.demo.adapters.gateway import TenantAdmin, push_crm_events
from services.sandbox.demo.live import LiveStory, Tick
from services.sandbox.demo.organisation import (
    DOMAINS,
    MICROSOFT_CLIENT_ID,
    MICROSOFT_CLIENT_SECRET,
    MICROSOFT_DIRECTORY_ID,
    Provider,
)
from services.sandbox.demo.story import DemoStory

_log = logging.getLogger(__name__)
SETTLED_STATES = frozenset({"idle", "syncing"})  # past the backfill


async def set_up_tenant(admin: TenantAdmin, story: DemoStory, *, google_key: dict[str, Any]) -> None:
    """Configuration first (teams, managers, required fields), then capture: policy, connections,
    mailboxes. Every call replaces what it sets, so running it again is harmless."""
    await admin.set_config(story.config_body())
    await admin.set_capture_policy(story.capture_policy_body())
    await admin.register_microsoft(
        connection_id=story.connection_id(Provider.MICROSOFT), directory=MICROSOFT_DIRECTORY_ID,
        client_id=MICROSOFT_CLIENT_ID, secret=MICROSOFT_CLIENT_SECRET,
    )  # fmt: skip
    await admin.register_google(
        connection_id=story.connection_id(Provider.GOOGLE), key=google_key, domain=DOMAINS[Provider.GOOGLE]
    )
    for provider in Provider:
        await admin.upsert_mailboxes(story.connection_id(provider), story.mailboxes_body(provider))


async def wait_for_backfill(admin: TenantAdmin, story: DemoStory, *, timeout_sec: float) -> bool:
    """True once capture is past the backfill of every demo mailbox; False after `timeout_sec`."""
    wanted = {r.rep_id for r in story.reps}
    deadline = time.monotonic() + timeout_sec
    while time.monotonic() < deadline:
        states = await admin.sync_states()
        if all(states.get(m) in SETTLED_STATES for m in wanted):
            return True
        await asyncio.sleep(0.5)
    return False


async def rescore(scoring_target: str, tenant_id: str, tls: MeshTls) -> None:
    """One full rescore, so team health and diagnostics cover the whole history at once instead of
    after scoring's next scheduled full pass. Scoring is internal: the call is over mutual TLS."""
    async with tls.channel(scoring_target) as channel:
        admin = scoring_pb2_grpc.ScoringAdminStub(channel)
        await admin.RescoreTenant(scoring_pb2.RescoreTenantRequest(tenant_id=tenant_id), timeout=60)


async def tick_forever(
    live: LiveStory,
    sink: MailboxSink,
    client: GroundtruthClient,
    *,
    interval_sec: float,
    stop: asyncio.Event,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_tick: Callable[[Tick], None] = lambda _: None,
    crm_events: Callable[[Sequence[crm_pb2.CrmEvent]], Sequence[crm_pb2.CrmEvent]] = lambda events: events,
) -> int:
    """Apply tick after tick until `stop` is set; returns how many were applied. A tick that fails
    (a service restarting) is logged and skipped: the story goes on with the next one. `crm_events`
    turns a tick's CRM events into what is pushed (under Tryton: its ids, no record changes)."""
    number = 0
    while not stop.is_set():
        tick = live.tick(number, clock())
        try:
            await sink.deliver(tick.items)
            pushed = crm_events(tick.crm_events)
            if pushed:
                await push_crm_events(client, pushed)
        except Exception as exc:  # the demo keeps going; the services recover on their own
            _log.warning("demo tick failed", extra={"tick": number, "error": repr(exc)})
        else:
            on_tick(tick)
        number += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_sec)
    return number
