"""Helpers for capture's integration tests: the Microsoft emulator, capture settings pointing at it,
a tail of the activity topic, an admin client and a ground-truth oracle."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from pydantic import SecretStr

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from plumbing.embedded.process import free_port
from plumbing.tls import MeshTls
from services.capture.adapters.secret_box import new_key
from services.capture.config import Settings as CaptureSettings
from services.capture.domain.identity import activity_id
from services.capture.domain.window import Window
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from services.sandbox.emulators.microsoft.org import OrgSpec
from services.sandbox.emulators.tls import TlsFiles, issue_tls
from tests.integration.conftest import Isolated
from tests.kafka_topics import partitions_of

TENANT = "acme"
DOMAIN = "contoso.example"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "demo-client-secret"
OTHER_CLIENT_ID = "99999999-2222-3333-4444-555555555555"
OTHER_CLIENT_SECRET = "other-client-secret"


def org_spec(mailboxes: int = 3, *, messages: int = 14, events: int = 6, seed: int = 11) -> OrgSpec:
    return OrgSpec(
        seed=seed,
        domain=DOMAIN,
        mailboxes=mailboxes,
        messages_per_mailbox=messages,
        events_per_mailbox=events,
        apps=((CLIENT_ID, CLIENT_SECRET), (OTHER_CLIENT_ID, OTHER_CLIENT_SECRET)),
    )


@contextlib.asynccontextmanager
async def running_emulator(directory: Path, spec: OrgSpec) -> AsyncIterator[MicrosoftEmulator]:
    emulator = MicrosoftEmulator(tls=issue_tls(directory))
    emulator.seed(spec)
    async with emulator.running():
        yield emulator


def capture_settings(
    isolated: Isolated, emulator: MicrosoftEmulator, tls: TlsFiles, **overrides: Any
) -> CaptureSettings:
    http_port = free_port()
    values: dict[str, Any] = {
        **isolated.env(),
        "host": "127.0.0.1",
        "grpc_port": free_port(),
        "http_port": http_port,
        "secret_keys": SecretStr(new_key()),
        "public_base_url": f"http://127.0.0.1:{http_port}",
        "microsoft_authority_base": emulator.authority_base,
        "microsoft_graph_base_url": emulator.graph_base_url,
        "microsoft_ca_bundle": str(tls.ca_path),
        "microsoft_page_size": 5,
        "poll_interval_sec": 600.0,  # only notifications and triggers explain an arrival
        "error_retry_sec": 600.0,
        "mailbox_refresh_sec": 600.0,
        "backoff_initial_sec": 0.2,
        "backoff_max_sec": 1.0,
        **overrides,
    }
    return CaptureSettings(**values)


@dataclass
class Received:
    at: float
    activity: activity_pb2.Activity


@dataclass
class TopicTail:
    """Everything published to the activity topic since the tail started, with arrival times."""

    records: list[Received] = field(default_factory=list)

    def for_mailbox(self, mailbox: str) -> list[activity_pb2.Activity]:
        return [r.activity for r in self.records if r.activity.mailbox == mailbox.lower()]

    def latest(self, mailbox: str) -> dict[str, activity_pb2.Activity]:
        """The last version of each activity of the mailbox, as a consumer would keep it."""
        out: dict[str, activity_pb2.Activity] = {}
        for activity in self.for_mailbox(mailbox):
            out[activity.id] = activity
        return out

    def live_ids(self, mailbox: str) -> set[str]:
        return {i for i, a in self.latest(mailbox).items() if not a.is_deletion}


@contextlib.asynccontextmanager
async def tailing(bootstrap_servers: str, topic: str) -> AsyncIterator[TopicTail]:
    tail = TopicTail()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, fetch_max_wait_ms=20
    )
    await consumer.start()
    partitions = await partitions_of(bootstrap_servers, topic)
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)

    async def pump() -> None:
        while True:
            batch = await consumer.getmany(timeout_ms=50)
            now = time.monotonic()
            for records in batch.values():
                for record in records:
                    assert record.value is not None
                    tail.records.append(Received(now, activity_pb2.Activity.FromString(record.value)))

    task = asyncio.create_task(pump())
    try:
        yield tail
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await consumer.stop()


@contextlib.asynccontextmanager
async def admin_client(grpc_port: int, tls: MeshTls) -> AsyncIterator[capture_pb2_grpc.CaptureAdminAsyncStub]:
    """CaptureAdmin over mutual TLS, as the gateway calls it (`tls`: a client of the mesh)."""
    async with tls.channel(f"127.0.0.1:{grpc_port}") as channel:
        yield capture_pb2_grpc.CaptureAdminStub(channel)


async def register(
    admin: capture_pb2_grpc.CaptureAdminAsyncStub,
    emulator: MicrosoftEmulator,
    mailboxes: Iterable[str],
    *,
    connection_id: str = "ms-main",
    client_id: str = CLIENT_ID,
    secret: str = CLIENT_SECRET,
    policy: capture_pb2.CapturePolicy | None = None,
) -> None:
    directory = next(iter(emulator.state.orgs.values())).tenant_id
    await admin.SetCapturePolicy(
        capture_pb2.SetCapturePolicyRequest(
            policy=policy or capture_pb2.CapturePolicy(tenant_id=TENANT, internal_domains=[DOMAIN])
        )
    )
    await admin.RegisterMicrosoftConnection(
        capture_pb2.RegisterMicrosoftConnectionRequest(
            tenant_id=TENANT,
            connection_id=connection_id,
            directory_tenant_id=directory,
            client_id=client_id,
            client_secret=secret,
        )
    )
    await admin.UpsertMailboxes(
        capture_pb2.UpsertMailboxesRequest(
            tenant_id=TENANT,
            connection_id=connection_id,
            mailboxes=[capture_pb2.MailboxAssignment(address=m, rep_id=rep_of(m)) for m in mailboxes],
        )
    )


def rep_of(mailbox: str) -> str:
    return "rep-" + mailbox.split("@")[0]


def _addresses(item: dict[str, Any], *keys: str) -> list[str]:
    out: list[str] = []
    for key in keys:
        value = item.get(key)
        values = value if isinstance(value, list) else [value] if value else []
        out += [v["emailAddress"]["address"].lower() for v in values]
    return out


def expected_ids(
    emulator: MicrosoftEmulator, mailbox: str, window: Window, *, internal: str = DOMAIN
) -> set[str]:
    """The oracle: which of the mailbox's items must be captured, decided from the ground truth with
    the rules stated plainly (external participant, not a draft, not private, meeting in the window)."""
    truth = emulator.ground_truth(mailbox)

    def external(addresses: list[str]) -> bool:
        return any(not a.endswith("@" + internal) and not a.endswith("." + internal) for a in addresses)

    wanted: set[str] = set()
    for folder in ("inbox", "sentitems"):
        for m in truth[folder]:
            if not m["isDraft"] and external(_addresses(m, "from", "toRecipients", "ccRecipients")):
                wanted.add(m["id"])
    for e in truth["calendar"]:
        start = datetime.fromisoformat(e["start"]["dateTime"]).replace(tzinfo=UTC)
        end = datetime.fromisoformat(e["end"]["dateTime"]).replace(tzinfo=UTC)
        people = _addresses(e, "organizer") + [a["emailAddress"]["address"].lower() for a in e["attendees"]]
        if e["sensitivity"] == "normal" and window.contains(start, end) and external(people):
            wanted.add(e["id"])
    return {
        activity_id(tenant_id=TENANT, provider=activity_pb2.PROVIDER_MICROSOFT, mailbox=mailbox, item_id=i)
        for i in wanted
    }


async def statuses(
    admin: capture_pb2_grpc.CaptureAdminAsyncStub, tenant: str = TENANT
) -> dict[str, capture_pb2.MailboxStatus]:
    response = await admin.GetSyncStatus(capture_pb2.GetSyncStatusRequest(tenant_id=tenant))
    return {s.mailbox: s for s in response.mailboxes}
