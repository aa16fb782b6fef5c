"""Capture from the Microsoft 365 emulator through the real msal and httpx, into the real broker, with
state in the real PostgreSQL. One capture instance serves the module; each test uses its own mailboxes."""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from services.capture.app import RunningCapture, running_capture
from services.capture.domain.identity import activity_id
from services.capture.domain.window import Window, calendar_window
from services.capture.sync.worker import MailboxWorker
from services.emulators.microsoft.emulator import MicrosoftEmulator
from tests.conftest import eventually
from tests.integration.capture.harness import (
    DOMAIN,
    TENANT,
    TopicTail,
    admin_client,
    capture_settings,
    expected_ids,
    org_spec,
    register,
    running_emulator,
    statuses,
    tailing,
)
from tests.integration.conftest import Isolated

pytestmark = pytest.mark.integration
SEEDED = [f"rep{i:04d}@{DOMAIN}" for i in (1, 2, 3)]
CUSTOMER = "buyer@northwind.example"


@dataclass(frozen=True)
class Rig:
    emulator: MicrosoftEmulator
    capture: RunningCapture
    tail: TopicTail
    admin: capture_pb2_grpc.CaptureAdminAsyncStub
    window: Window

    @property
    def directory(self) -> str:
        return next(iter(self.emulator.state.orgs.values())).tenant_id

    def new_mailbox(self, name: str) -> str:
        upn = f"{name}@{DOMAIN}"
        self.emulator.add_mailbox(self.directory, upn)
        return upn

    async def add(self, *mailboxes: str, connection_id: str = "ms-main") -> None:
        await self.admin.UpsertMailboxes(
            capture_pb2.UpsertMailboxesRequest(
                tenant_id=TENANT,
                connection_id=connection_id,
                mailboxes=[
                    capture_pb2.MailboxAssignment(address=m, rep_id="rep-" + m.split("@")[0])
                    for m in mailboxes
                ],
            )
        )

    async def idle(self, *mailboxes: str, passes: int = 1) -> None:
        async def done() -> bool:
            for m in mailboxes:
                if m not in {ref.address for ref, _ in self.capture.engine.statuses()}:
                    return False
                worker = self.worker(m)
                if worker.passes < passes or worker.status.state.value != "idle":
                    return False
            return True

        await eventually(done, timeout_sec=30)

    def worker(self, mailbox: str) -> MailboxWorker:
        for ref, _ in self.capture.engine.statuses():
            if ref.address == mailbox:
                worker = self.capture.engine.worker(ref.mailbox_id)
                assert worker is not None
                return worker
        raise AssertionError(f"no worker for {mailbox}")

    async def trigger(self, mailbox: str, *, full_resync: bool = False) -> None:
        await self.admin.TriggerSync(
            capture_pb2.TriggerSyncRequest(tenant_id=TENANT, mailbox=mailbox, full_resync=full_resync)
        )

    async def subscribed(self, mailbox: str) -> None:
        await eventually(lambda: _true(len(self.emulator.subscriptions_of(mailbox)) == 2), timeout_sec=20)


async def _true(value: bool) -> bool:
    return value


def aid(mailbox: str, item_id: str) -> str:
    return activity_id(
        tenant_id=TENANT, provider=activity_pb2.PROVIDER_MICROSOFT, mailbox=mailbox, item_id=item_id
    )


@pytest.fixture(scope="module")
async def rig(isolated: Isolated, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    tls_dir = Path(tmp_path_factory.mktemp("ms-tls"))
    async with running_emulator(tls_dir, org_spec()) as emulator:
        settings = capture_settings(isolated, emulator, emulator.tls)
        async with (
            tailing(isolated.bootstrap_servers, isolated.topics.activity_captured) as tail,
            running_capture(settings) as capture,
            admin_client(capture.grpc_port) as admin,
        ):
            await register(admin, emulator, SEEDED)
            window = calendar_window(datetime.now(UTC), days_back=30, days_ahead=90, step_days=7)
            yield Rig(emulator, capture, tail, admin, window)


async def test_backfill_publishes_exactly_the_customer_activity_once(rig: Rig) -> None:
    await rig.idle(*SEEDED)
    for mailbox in SEEDED:
        expected = expected_ids(rig.emulator, mailbox, rig.window)

        async def arrived(mailbox: str = mailbox, expected: set[str] = expected) -> bool:
            return rig.tail.live_ids(mailbox) == expected

        await eventually(arrived, timeout_sec=15)
        published = [a.id for a in rig.tail.for_mailbox(mailbox)]
        assert len(published) == len(set(published)), "an item was published twice during the backfill"
        assert len(expected) > 5
    status = (await statuses(rig.admin))[SEEDED[0]]
    assert status.state == "idle"
    assert status.items_captured == len(rig.tail.for_mailbox(SEEDED[0]))
    assert status.last_success_at.seconds > 0
    sample = rig.tail.for_mailbox(SEEDED[0])
    kinds = {a.kind for a in sample}
    assert kinds == {
        activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED,
        activity_pb2.ACTIVITY_KIND_EMAIL_SENT,
        activity_pb2.ACTIVITY_KIND_MEETING,
    }
    for activity in sample:
        assert not activity.HasField("subject"), "metadata level never carries subjects"
        assert b"confidential notes" not in activity.SerializeToString()
        assert activity.rep_id == "rep-rep0001"
        assert any(not p.is_internal for p in activity.participants)


async def test_incremental_changes_arrive_through_notifications(rig: Rig) -> None:
    mailbox = rig.new_mailbox("incremental")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    emu = rig.emulator
    kept = emu.add_event(mailbox, organizer=mailbox, attendees=[CUSTOMER], start=soon, subject="Demo")
    moved = emu.add_event(mailbox, organizer=mailbox, attendees=[CUSTOMER], start=soon + timedelta(hours=2))
    cancelled = emu.add_event(
        mailbox, organizer=CUSTOMER, attendees=[mailbox], start=soon + timedelta(hours=4)
    )
    deleted = emu.add_event(mailbox, organizer=mailbox, attendees=[CUSTOMER], start=soon + timedelta(hours=6))
    read = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox], subject="Quote")
    archived = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox], subject="Archive me")
    purged = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox], subject="Purge me")
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await rig.subscribed(mailbox)
    initial = {aid(mailbox, i) for i in (kept, moved, cancelled, deleted, read, archived, purged)}
    await eventually(lambda: _true(rig.tail.live_ids(mailbox) == initial), timeout_sec=10)
    before = len(rig.tail.for_mailbox(mailbox))

    new_mail = emu.add_message(mailbox, sender="cfo@fabrikam.example", to=[mailbox], cc=[CUSTOMER])
    sent = emu.add_message(mailbox, folder="sentitems", sender=mailbox, to=[CUSTOMER])
    emu.reschedule_event(mailbox, moved, start=soon + timedelta(days=1))
    emu.update(
        mailbox,
        kept,
        {
            "attendees": [
                *emu.mailbox(mailbox).items[kept].data["attendees"],
                {
                    "type": "optional",
                    "status": {"response": "tentativelyAccepted", "time": "2026-01-01T00:00:00Z"},
                    "emailAddress": {"name": "Eve", "address": "eve@adatum.example"},
                },
            ]
        },
    )
    emu.cancel_event(mailbox, cancelled)
    emu.delete(mailbox, deleted)
    emu.update(mailbox, read, {"isRead": True})  # a flag: nothing new to publish
    emu.move_message(mailbox, archived, "archive")  # filed away, not deleted
    emu.delete(mailbox, purged)

    async def settled() -> bool:
        latest = rig.tail.latest(mailbox)
        return (
            aid(mailbox, new_mail) in latest
            and aid(mailbox, sent) in latest
            and latest.get(aid(mailbox, cancelled), activity_pb2.Activity()).is_cancelled
            and latest.get(aid(mailbox, deleted), activity_pb2.Activity()).is_deletion
            and latest.get(aid(mailbox, purged), activity_pb2.Activity()).is_deletion
            and len(latest[aid(mailbox, kept)].participants) == 3
            and latest[aid(mailbox, moved)].occurred_at.ToDatetime(UTC) == soon + timedelta(days=1)
        )

    await eventually(settled, timeout_sec=20)
    await rig.idle(mailbox)
    latest = rig.tail.latest(mailbox)
    assert latest[aid(mailbox, sent)].kind == activity_pb2.ACTIVITY_KIND_EMAIL_SENT
    assert [p.response_status for p in latest[aid(mailbox, kept)].participants][
        -1
    ] == activity_pb2.RESPONSE_STATUS_TENTATIVE
    assert not latest[aid(mailbox, cancelled)].is_deletion
    assert not latest[aid(mailbox, archived)].is_deletion
    assert not latest[aid(mailbox, moved)].is_cancelled
    # Exactly one record per real change: the read flag and the filed message published nothing.
    changed = [a.provider_ids.item_id for a in rig.tail.for_mailbox(mailbox)[before:]]
    assert sorted(changed) == sorted([new_mail, sent, moved, kept, cancelled, deleted, purged])
    retained = await rig.capture.pool.fetchval(
        "SELECT count(*) FROM items i JOIN mailboxes m USING (mailbox_id) WHERE m.address = $1", mailbox
    )
    assert retained == 7  # published and not retracted: everything but the two deletions


async def test_privacy_filters_keep_items_out_of_kafka(rig: Rig) -> None:
    mailbox = rig.new_mailbox("privacy")
    emu = rig.emulator
    soon = datetime.now(UTC) + timedelta(days=1)
    await rig.admin.SetCapturePolicy(
        capture_pb2.SetCapturePolicyRequest(
            policy=capture_pb2.CapturePolicy(
                tenant_id=TENANT,
                internal_domains=[DOMAIN, "contoso-labs.example"],
                excluded_domains=["lawfirm.example"],
            )
        )
    )
    await rig.admin.SetRepExclusions(
        capture_pb2.SetRepExclusionsRequest(
            exclusions=capture_pb2.RepExclusions(
                tenant_id=TENANT, rep_id="rep-privacy", excluded_addresses=["Partner@Home.example"]
            )
        )
    )
    control = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox], subject="Customer")
    hidden = {
        "private meeting": emu.add_event(
            mailbox,
            organizer=mailbox,
            attendees=[CUSTOMER],
            start=soon,
            sensitivity="private",
            subject="Doctor",
        ),
        "internal thread": emu.add_message(
            mailbox, sender=f"boss@{DOMAIN}", to=[mailbox], cc=["ops@eu.contoso-labs.example"]
        ),
        "excluded domain": emu.add_message(
            mailbox, sender="counsel@ny.lawfirm.example", to=[mailbox], cc=[CUSTOMER]
        ),
        "rep-excluded address": emu.add_message(
            mailbox, folder="sentitems", sender=mailbox, to=["partner@home.example"]
        ),
        "draft": emu.add_message(mailbox, folder="sentitems", sender=mailbox, to=[CUSTOMER], is_draft=True),
    }
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await rig.subscribed(mailbox)
    # An item captured earlier that turns private is retracted, not left behind.
    meeting = emu.add_event(mailbox, organizer=mailbox, attendees=[CUSTOMER], start=soon + timedelta(hours=3))
    await eventually(lambda: _true(aid(mailbox, meeting) in rig.tail.live_ids(mailbox)), timeout_sec=10)
    emu.update(mailbox, meeting, {"sensitivity": "private"})
    await eventually(lambda: _true(aid(mailbox, meeting) not in rig.tail.live_ids(mailbox)), timeout_sec=10)

    on_topic = {a.provider_ids.item_id for a in rig.tail.for_mailbox(mailbox)}
    assert control in on_topic
    for what, item_id in hidden.items():
        assert item_id not in on_topic, f"{what} reached Kafka"
    retraction = rig.tail.latest(mailbox)[aid(mailbox, meeting)]
    assert retraction.is_deletion and not retraction.participants
    stored = await rig.capture.pool.fetch(
        "SELECT item_id FROM items i JOIN mailboxes m USING (mailbox_id) WHERE m.address = $1", mailbox
    )
    assert [r["item_id"] for r in stored] == [control], "nothing is kept of items that were never captured"


async def test_expired_delta_tokens_resync_without_gaps_or_duplicates(rig: Rig) -> None:
    mailbox = rig.new_mailbox("expiry")
    emu = rig.emulator
    soon = datetime.now(UTC) + timedelta(days=3)
    mails = [emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox]) for _ in range(8)]
    meeting = emu.add_event(mailbox, organizer=mailbox, attendees=[CUSTOMER], start=soon)
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await eventually(lambda: _true(len(rig.tail.live_ids(mailbox)) == 9), timeout_sec=10)
    before = len(rig.tail.for_mailbox(mailbox))

    emu.set_notifications(False)  # the gap: changes nobody is told about, and the tokens die
    try:
        emu.expire_tokens(mailbox)
        added = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
        emu.delete(mailbox, mails[0])
        emu.delete(mailbox, meeting)
    finally:
        emu.set_notifications(True)
    await rig.trigger(mailbox)
    await rig.idle(mailbox, passes=2)

    expected_live = {aid(mailbox, i) for i in [*mails[1:], added]}
    await eventually(lambda: _true(rig.tail.live_ids(mailbox) == expected_live), timeout_sec=10)
    after = [a.provider_ids.item_id for a in rig.tail.for_mailbox(mailbox)[before:]]
    # The full resync re-read every item, but only what changed in the gap was published again.
    assert sorted(after) == sorted([added, mails[0], meeting])
    status = (await statuses(rig.admin))[mailbox]
    assert status.state == "idle"
    assert status.resyncs == 3  # inbox, sent items and calendar each lost their token
    delta_410 = [r for r in emu.requests(mailbox) if r.status == 410]
    assert len(delta_410) == 3


async def test_a_second_expiry_in_a_row_is_an_error_not_a_loop(rig: Rig) -> None:
    mailbox = rig.new_mailbox("expiry-loop")
    healthy = rig.new_mailbox("expiry-neighbour")
    rig.emulator.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    rig.emulator.always_expire(mailbox)
    await rig.add(mailbox, healthy)
    await rig.idle(healthy)

    async def failed() -> bool:
        return (await statuses(rig.admin))[mailbox].state == "error"

    await eventually(failed, timeout_sec=15)
    status = (await statuses(rig.admin))[mailbox]
    assert status.last_error.startswith("cursor_expired")
    assert status.resyncs == 3
    attempts = len(rig.emulator.requests(mailbox))
    assert attempts == 6  # per stream: the first request, one resync, then it stops
    message = rig.emulator.add_message(healthy, sender=CUSTOMER, to=[healthy])
    await eventually(lambda: _true(aid(healthy, message) in rig.tail.live_ids(healthy)), timeout_sec=10)
    assert len(rig.emulator.requests(mailbox)) == attempts


async def test_throttling_is_honoured_per_mailbox(rig: Rig) -> None:
    mailbox = rig.new_mailbox("throttled")
    neighbour = rig.new_mailbox("throttle-neighbour")
    emu = rig.emulator
    for _ in range(6):
        emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    emu.throttle(mailbox, count=3, retry_after=1.25)  # fractional seconds, as Graph sends them
    emu.throttle(mailbox, count=1, retry_after=None, status=503)  # no Retry-After: back off
    await rig.add(mailbox, neighbour)
    await rig.idle(neighbour)
    await rig.idle(mailbox)
    records = emu.requests(mailbox)
    throttled = [r for r in records if r.status == 429]
    assert len(throttled) == 3
    waits = []
    for answer in throttled:
        following = [
            r for r in records if r.operation == answer.operation and r.at_monotonic > answer.at_monotonic
        ]
        waits.append(following[0].at_monotonic - answer.at_monotonic)
    print(f"measured waits after 429 with Retry-After 1.25 s: {[round(w, 3) for w in waits]}")
    assert min(waits) >= 1.25
    neighbour_last = max(r.at_monotonic for r in emu.requests(neighbour))
    assert neighbour_last < max(r.at_monotonic for r in records), (
        "the neighbour waited on the throttled mailbox"
    )
    peak = rig.worker(mailbox).gate.peak_in_flight
    assert 1 <= peak <= 4
    status = (await statuses(rig.admin))[mailbox]
    assert status.state == "idle"
    await eventually(lambda: _true(len(rig.tail.live_ids(mailbox)) == 6), timeout_sec=10)


async def test_revoked_credentials_put_their_mailboxes_in_error_while_others_flow(rig: Rig) -> None:
    from tests.integration.capture.harness import OTHER_CLIENT_ID, OTHER_CLIENT_SECRET

    revoked = rig.new_mailbox("revoked")
    healthy = rig.new_mailbox("unaffected")
    await rig.admin.RegisterMicrosoftConnection(
        capture_pb2.RegisterMicrosoftConnectionRequest(
            tenant_id=TENANT,
            connection_id="ms-second-app",
            directory_tenant_id=rig.directory,
            client_id=OTHER_CLIENT_ID,
            client_secret=OTHER_CLIENT_SECRET,
        )
    )
    rig.emulator.revoke(OTHER_CLIENT_ID)
    rig.emulator.add_message(revoked, sender=CUSTOMER, to=[revoked])
    await rig.add(revoked, connection_id="ms-second-app")
    await rig.add(healthy)
    message = rig.emulator.add_message(healthy, sender=CUSTOMER, to=[healthy])

    async def revoked_in_error() -> bool:
        return (await statuses(rig.admin))[revoked].state == "error"

    await eventually(revoked_in_error, timeout_sec=15)
    await eventually(lambda: _true(aid(healthy, message) in rig.tail.live_ids(healthy)), timeout_sec=10)
    status = (await statuses(rig.admin))[revoked]
    assert status.last_error.startswith("revoked: invalid_client")
    assert OTHER_CLIENT_SECRET not in status.last_error
    assert rig.tail.for_mailbox(revoked) == []

    # The admin fixes the app registration and asks for a sync: the mailbox recovers.
    rig.emulator.revoke(OTHER_CLIENT_ID, revoked=False)
    await rig.trigger(revoked)
    await rig.idle(revoked)
    await eventually(lambda: _true(len(rig.tail.live_ids(revoked)) == 1), timeout_sec=10)


async def test_webhook_validation_handshake_and_client_state(rig: Rig) -> None:
    base = f"http://127.0.0.1:{rig.capture.http_port}/webhooks/microsoft"
    token = "Validation: Testing client application reachability for subscription Request-Id: 7f2a"
    async with httpx.AsyncClient(base_url=base) as client:
        for path in ("/notifications", "/lifecycle"):
            started = time.monotonic()
            echoed = await client.post(
                path, params={"validationToken": token}, content=b"", headers={"Content-Type": "text/plain"}
            )
            assert time.monotonic() - started < 3
            assert echoed.status_code == 200
            assert echoed.headers["content-type"].startswith("text/plain")
            assert echoed.text == token  # URL-decoded, exactly
        await rig.idle(SEEDED[0])
        await rig.subscribed(SEEDED[0])
        worker = rig.worker(SEEDED[0])
        passes = worker.passes
        forged = {
            "value": [
                {
                    "subscriptionId": rig.emulator.subscriptions_of(SEEDED[0])[0]["id"],
                    "clientState": "guessed",
                    "changeType": "created",
                }
            ]
        }
        answer = await client.post("/notifications", json=forged)
        assert answer.status_code == 202
        assert (await client.post("/notifications", content=b"not json")).status_code == 400
        assert (await client.post("/notifications", content=b"x" * 1_000_001)).status_code == 413
    await rig.idle(SEEDED[0])
    assert worker.passes == passes, "a notification with the wrong clientState woke the mailbox"
    for sub in rig.emulator.subscriptions_of(SEEDED[0]):
        assert sub["notificationUrl"].endswith("/webhooks/microsoft/notifications")
        assert sub["lifecycleNotificationUrl"].endswith("/webhooks/microsoft/lifecycle")
        assert 0 < len(sub["clientState"]) <= 128


async def test_a_notification_produces_the_activity_within_a_second(rig: Rig) -> None:
    mailbox = rig.new_mailbox("latency")
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await rig.subscribed(mailbox)
    latencies = []
    for n in range(7):
        started = time.monotonic()
        item = rig.emulator.add_message(mailbox, sender=CUSTOMER, to=[mailbox], subject=f"n{n}")
        wanted = aid(mailbox, item)

        async def arrived(wanted: str = wanted) -> bool:
            return wanted in rig.tail.live_ids(mailbox)

        await eventually(arrived, timeout_sec=10, interval_sec=0.005)
        arrival = next(r.at for r in rig.tail.records if r.activity.id == wanted)
        latencies.append(arrival - started)
        await rig.idle(mailbox, passes=rig.worker(mailbox).passes)
    median = statistics.median(latencies)
    figures = [round(x, 3) for x in latencies]
    print(f"change → activity on Kafka via notification, seconds: {figures}; median {median:.3f}")
    # Polling is every 600 s here: only the notification explains an arrival this fast.
    assert median < 1.0


async def test_lifecycle_events_recreate_reauthorize_and_catch_up(rig: Rig) -> None:
    mailbox = rig.new_mailbox("lifecycle")
    emu = rig.emulator
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await rig.subscribed(mailbox)
    messages_sub = next(s for s in emu.subscriptions_of(mailbox) if s["resource"].endswith("/messages"))

    # Removed: capture creates a new subscription and runs a delta for what it may have missed.
    emu.set_notifications(False)
    missed_while_removed = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    emu.set_notifications(True)
    assert await emu.lifecycle(messages_sub["id"], "subscriptionRemoved") == 202
    await eventually(
        lambda: _true(aid(mailbox, missed_while_removed) in rig.tail.live_ids(mailbox)), timeout_sec=10
    )
    await rig.subscribed(mailbox)
    renewed = next(s for s in emu.subscriptions_of(mailbox) if s["resource"].endswith("/messages"))
    assert renewed["id"] != messages_sub["id"]
    after_recreate = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    await eventually(
        lambda: _true(aid(mailbox, after_recreate) in rig.tail.live_ids(mailbox)), timeout_sec=10
    )

    # Reauthorization required: notifications stop until capture reauthorizes.
    assert await emu.lifecycle(renewed["id"], "reauthorizationRequired") == 202

    async def reauthorized() -> bool:
        return not emu.state.subscriptions.by_id[renewed["id"]].needs_reauthorization

    await eventually(reauthorized, timeout_sec=10)
    after_reauth = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    await eventually(lambda: _true(aid(mailbox, after_reauth) in rig.tail.live_ids(mailbox)), timeout_sec=10)

    # Missed: a delta catches up what the notifications did not carry.
    emu.set_notifications(False)
    unseen = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    emu.set_notifications(True)
    assert await emu.lifecycle(renewed["id"], "missed") == 202
    await eventually(lambda: _true(aid(mailbox, unseen) in rig.tail.live_ids(mailbox)), timeout_sec=10)


async def test_empty_pages_and_replayed_items_change_nothing(rig: Rig) -> None:
    mailbox = rig.new_mailbox("replays")
    emu = rig.emulator
    items = [emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox]) for _ in range(12)]
    emu.empty_pages(mailbox, count=4)
    emu.replay(mailbox, count=3)
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await rig.subscribed(mailbox)
    emu.replay(mailbox, count=8)
    emu.empty_pages(mailbox, count=2)
    late = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    expected = {aid(mailbox, i) for i in [*items, late]}
    await eventually(lambda: _true(rig.tail.live_ids(mailbox) == expected), timeout_sec=10)
    await rig.idle(mailbox, passes=2)
    published = [a.id for a in rig.tail.for_mailbox(mailbox)]
    assert sorted(published) == sorted(expected), "a replayed item was published again"
