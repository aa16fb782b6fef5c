"""The Google emulator and a capture service pointed at it, with the ground-truth oracle the capture
tests compare Kafka against."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from plumbing.embedded.process import free_port
from services.capture.adapters.secret_box import new_key
from services.capture.app import RunningCapture, running_capture
from services.capture.config import Settings as CaptureSettings
from services.capture.domain.identity import activity_id
from services.capture.operations.sync.worker import MailboxWorker
from services.capture.providers.google.calendar import NON_MEETING_EVENT_TYPES
from services.capture.providers.google.gmail import skip_reason
from services.sandbox.emulators.google import DOMAIN, GoogleEmulator
from tests.conftest import eventually
from tests.integration.capture.harness import TopicTail, admin_client, tailing
from tests.integration.conftest import Isolated

TENANT = "globex-sales"
TOPIC = "projects/groundtruth-emulator/topics/gmail-push"
PUSH_TOKEN = "pubsub-push-token"
EXCLUDED_DOMAIN = "hooli.example"


def google_settings(isolated: Isolated, emulator: GoogleEmulator, **overrides: Any) -> CaptureSettings:
    http_port = free_port()
    values: dict[str, Any] = {
        **isolated.env(),
        "host": "127.0.0.1",
        "grpc_port": free_port(),
        "http_port": http_port,
        "secret_keys": SecretStr(new_key()),
        "public_base_url": f"http://127.0.0.1:{http_port}",
        "google_token_uri": emulator.token_uri,
        "google_gmail_endpoint": emulator.base_url,
        "google_calendar_endpoint": emulator.calendar_endpoint,
        "google_gmail_page_size": 4,
        "google_calendar_page_size": 5,
        "google_pubsub_topic": TOPIC,
        "google_pubsub_token": SecretStr(PUSH_TOKEN),
        "google_api_threads": 4,
        "poll_interval_sec": 600.0,  # only notifications and triggers explain an arrival
        "error_retry_sec": 600.0,
        "mailbox_refresh_sec": 600.0,
        "backoff_initial_sec": 0.2,
        "backoff_max_sec": 1.0,
        **overrides,
    }
    return CaptureSettings(**values)


def policy(*, excluded_domains: Iterable[str] = (EXCLUDED_DOMAIN,)) -> capture_pb2.CapturePolicy:
    return capture_pb2.CapturePolicy(
        tenant_id=TENANT, internal_domains=[DOMAIN], excluded_domains=list(excluded_domains)
    )


async def register_google(
    admin: capture_pb2_grpc.CaptureAdminAsyncStub,
    emulator: GoogleEmulator,
    mailboxes: Iterable[str],
    *,
    connection_id: str = "gws-main",
    excluded_domains: Iterable[str] = (EXCLUDED_DOMAIN,),
) -> None:
    await admin.SetCapturePolicy(
        capture_pb2.SetCapturePolicyRequest(policy=policy(excluded_domains=excluded_domains))
    )
    await admin.RegisterGoogleConnection(
        capture_pb2.RegisterGoogleConnectionRequest(
            tenant_id=TENANT,
            connection_id=connection_id,
            service_account_key_json=json.dumps(emulator.key_file()),
            workspace_domain=DOMAIN,
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


def gid(mailbox: str, item_id: str) -> str:
    return activity_id(
        tenant_id=TENANT, provider=activity_pb2.PROVIDER_GOOGLE, mailbox=mailbox, item_id=item_id
    )


def _external(addresses: Iterable[str]) -> bool:
    return any(not a.endswith("@" + DOMAIN) for a in addresses)


def _excluded(addresses: Iterable[str], excluded: Iterable[str]) -> bool:
    return any(a.rpartition("@")[2] in set(excluded) for a in addresses)


def _header_addresses(message: dict[str, Any]) -> list[str]:
    from email.utils import getaddresses

    wanted = {"from", "to", "cc"}
    values = [h["value"] for h in message["payload"]["headers"] if h["name"].lower() in wanted]
    return [a.lower() for _, a in getaddresses(values) if "@" in a]


def expected_mail(
    emulator: GoogleEmulator, mailbox: str, *, excluded: Iterable[str] = (EXCLUDED_DOMAIN,)
) -> set[str]:
    """The oracle for mail: every message that is not draft/spam/trash/chat, has an external
    participant and none in an excluded domain; the rules stated plainly, from the ground truth."""
    wanted = set()
    for message in emulator.world.mailbox_truth(mailbox):
        people = _header_addresses(message)
        if skip_reason(message["labelIds"]) is None and _external(people) and not _excluded(people, excluded):
            wanted.add(gid(mailbox, message["id"]))
    return wanted


def expected_meetings(
    emulator: GoogleEmulator, mailbox: str, *, excluded: Iterable[str] = (EXCLUDED_DOMAIN,)
) -> set[str]:
    wanted = set()
    for event in emulator.world.calendar_truth(mailbox):
        people = [event.get("organizer", {}).get("email", "")] + [
            a["email"] for a in event.get("attendees", ()) if not a.get("resource")
        ]
        people = [p.lower() for p in people if p]
        if event.get("eventType") == "outOfOffice":
            wanted.add(gid(mailbox, event["id"]))  # the away period, whoever and however private
        elif (
            event.get("visibility") not in ("private", "confidential")
            and event.get("eventType", "default") not in NON_MEETING_EVENT_TYPES
            and _external(people)
            and not _excluded(people, excluded)
        ):
            wanted.add(gid(mailbox, event["id"]))
    return wanted


def expected(emulator: GoogleEmulator, mailbox: str) -> set[str]:
    return expected_mail(emulator, mailbox) | expected_meetings(emulator, mailbox)


@dataclass(frozen=True)
class GoogleRig:
    emulator: GoogleEmulator
    capture: RunningCapture
    tail: TopicTail
    admin: capture_pb2_grpc.CaptureAdminAsyncStub

    @property
    def webhook_base(self) -> str:
        return f"http://127.0.0.1:{self.capture.http_port}"

    def worker(self, mailbox: str) -> MailboxWorker:
        for ref, _ in self.capture.engine.statuses():
            if ref.address == mailbox:
                worker = self.capture.engine.worker(ref.mailbox_id)
                assert worker is not None
                return worker
        raise AssertionError(f"no worker for {mailbox}")

    async def idle(self, *mailboxes: str, passes: int = 1) -> None:
        async def done() -> bool:
            known = {ref.address for ref, _ in self.capture.engine.statuses()}
            for m in mailboxes:
                if m not in known:
                    return False
                worker = self.worker(m)
                if worker.passes < passes or worker.status.state.value != "idle":
                    return False
            return True

        await eventually(done, timeout_sec=30)

    async def trigger(self, mailbox: str, *, full_resync: bool = False) -> None:
        await self.admin.TriggerSync(
            capture_pb2.TriggerSyncRequest(tenant_id=TENANT, mailbox=mailbox, full_resync=full_resync)
        )

    async def synced(self, mailbox: str) -> None:
        """Trigger a pass and wait until it has finished."""
        passes = self.worker(mailbox).passes
        await self.trigger(mailbox)
        await self.idle(mailbox, passes=passes + 1)

    async def status(self, mailbox: str) -> capture_pb2.MailboxStatus:
        response = await self.admin.GetSyncStatus(
            capture_pb2.GetSyncStatusRequest(tenant_id=TENANT, mailbox=mailbox)
        )
        return response.mailboxes[0]


@contextlib.asynccontextmanager
async def running_google_rig(
    isolated: Isolated, emulator: GoogleEmulator, mailboxes: Iterable[str], **overrides: Any
) -> AsyncIterator[GoogleRig]:
    settings = google_settings(isolated, emulator, **overrides)
    async with (
        tailing(isolated.bootstrap_servers, isolated.topics.activity_captured) as tail,
        running_capture(settings) as capture,
        admin_client(capture.grpc_port, isolated.client_tls) as admin,
    ):
        base = f"http://127.0.0.1:{capture.http_port}"
        emulator.world.add_push_subscription(TOPIC, f"{base}/webhooks/google/gmail?token={PUSH_TOKEN}")
        await register_google(admin, emulator, mailboxes)
        yield GoogleRig(emulator, capture, tail, admin)


def now() -> datetime:
    return datetime.now(UTC)
