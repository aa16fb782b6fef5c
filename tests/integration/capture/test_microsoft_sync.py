"""Capture from the Microsoft 365 emulator through the real msal and aiohttp, into the real broker, with
state in the real PostgreSQL: backfill, changes, privacy, resync, throttling, revocation. One capture
instance serves the module; each test uses its own mailboxes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2
from tests.conftest import eventually
from tests.integration.capture.harness import DOMAIN, TENANT, expected_ids, statuses
from tests.integration.capture.rig import CUSTOMER, SEEDED, Rig, aid, holds, running_rig
from tests.integration.conftest import Isolated

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def rig(isolated: Isolated, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    async with running_rig(isolated, tmp_path_factory) as running:
        yield running


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
    status = await rig.status(SEEDED[0])
    assert status.items_captured == len(rig.tail.for_mailbox(SEEDED[0]))
    assert status.last_success_at.seconds > 0
    idle = f'gt_capture_mailboxes{{state="idle",tenant="{TENANT}"}} {float(len(SEEDED))}'
    scraped: list[str] = []

    async def idle_between_passes() -> bool:
        # A loaded machine may scrape while the next poll runs (`syncing`): the state must reach idle.
        async with httpx.AsyncClient() as client:
            scraped[:] = [(await client.get(f"http://127.0.0.1:{rig.capture.http_port}/metrics")).text]
        return idle in scraped[0]

    await eventually(idle_between_passes, timeout_sec=10)
    labels = f'{{tenant="{TENANT}"}}'
    for series in ("gt_capture_mailbox_lag_seconds_max", "gt_capture_items_captured_total"):
        assert series + labels in scraped[0], f"{series} is not exported per tenant"
    # No address of anyone in any label: per-mailbox detail is for the authenticated admin API only.
    assert not re.search(r'="[^"]*@[^"]*"', scraped[0]), "a metrics label carries an e-mail address"
    assert not any(mailbox in scraped[0] for mailbox in SEEDED)
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
    await eventually(lambda: holds(rig.tail.live_ids(mailbox) == initial), timeout_sec=10)
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
    await eventually(lambda: holds(aid(mailbox, meeting) in rig.tail.live_ids(mailbox)), timeout_sec=10)
    emu.update(mailbox, meeting, {"sensitivity": "private"})
    await eventually(lambda: holds(aid(mailbox, meeting) not in rig.tail.live_ids(mailbox)), timeout_sec=10)

    on_topic = {a.provider_ids.item_id for a in rig.tail.for_mailbox(mailbox)}
    assert control in on_topic
    for what, item_id in hidden.items():
        assert item_id not in on_topic, f"{what} reached Kafka"
    retraction = rig.tail.latest(mailbox)[aid(mailbox, meeting)]
    assert retraction.is_deletion and not retraction.participants
    stored: list[str] = []

    async def only_the_control_is_kept() -> bool:
        # The page that retracted the meeting is committed just after it was published.
        rows = await rig.capture.pool.fetch(
            "SELECT item_id FROM items i JOIN mailboxes m USING (mailbox_id) WHERE m.address = $1", mailbox
        )
        stored[:] = [r["item_id"] for r in rows]
        return stored == [control]

    await eventually(only_the_control_is_kept, timeout_sec=10)
    assert stored == [control], "nothing is kept of items that were never captured"


async def test_expired_delta_tokens_resync_without_gaps_or_duplicates(rig: Rig) -> None:
    mailbox = rig.new_mailbox("expiry")
    emu = rig.emulator
    soon = datetime.now(UTC) + timedelta(days=3)
    mails = [emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox]) for _ in range(8)]
    meeting = emu.add_event(mailbox, organizer=mailbox, attendees=[CUSTOMER], start=soon)
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await eventually(lambda: holds(len(rig.tail.live_ids(mailbox)) == 9), timeout_sec=10)
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
    await eventually(lambda: holds(rig.tail.live_ids(mailbox) == expected_live), timeout_sec=10)
    after = [a.provider_ids.item_id for a in rig.tail.for_mailbox(mailbox)[before:]]
    # The full resync re-read every item, but only what changed in the gap was published again.
    assert sorted(after) == sorted([added, mails[0], meeting])
    status = await rig.status(mailbox)
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
    await eventually(lambda: holds(aid(healthy, message) in rig.tail.live_ids(healthy)), timeout_sec=10)
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
    await rig.status(mailbox)  # waits until the throttled mailbox is idle again
    await eventually(lambda: holds(len(rig.tail.live_ids(mailbox)) == 6), timeout_sec=10)


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
    await eventually(lambda: holds(aid(healthy, message) in rig.tail.live_ids(healthy)), timeout_sec=10)
    status = (await statuses(rig.admin))[revoked]
    # The app's credential itself, distinct from a revoked or expired access token.
    assert status.last_error.startswith("app_revoked: invalid_client")
    assert OTHER_CLIENT_SECRET not in status.last_error
    assert rig.tail.for_mailbox(revoked) == []

    # The admin fixes the app registration and asks for a sync: the mailbox recovers.
    rig.emulator.revoke(OTHER_CLIENT_ID, revoked=False)
    await rig.trigger(revoked)
    await rig.idle(revoked)
    await eventually(lambda: holds(len(rig.tail.live_ids(revoked)) == 1), timeout_sec=10)
