"""Capture from Google Workspace end to end: the emulator through the real google-api-python-client
and google-auth, the capture service (engine, privacy, normalization, PostgreSQL state), and what
reaches the real broker, compared against the emulator's ground truth."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from groundtruth.activity.v1 import activity_pb2
from services.sandbox.emulators.google import DOMAIN, GoogleEmulator, running_google_emulator
from tests.conftest import eventually
from tests.integration.capture.google_rig import (
    EXCLUDED_DOMAIN,
    GoogleRig,
    expected,
    gid,
    now,
    running_google_rig,
)
from tests.integration.conftest import Isolated

pytestmark = pytest.mark.integration

ANA, BEN, CORA, DEV = (f"{u}@{DOMAIN}" for u in ("ana.reyes", "ben.okafor", "cora.lindqvist", "dev.patel"))
REPS = [ANA, BEN, CORA, DEV]
CUSTOMER = "hank.scorpio@globex.example"


@pytest.fixture(scope="module")
async def emulator() -> AsyncIterator[GoogleEmulator]:
    async with running_google_emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
async def rig(isolated: Isolated, emulator: GoogleEmulator) -> AsyncIterator[GoogleRig]:
    async with running_google_rig(isolated, emulator, REPS, public_base_url="") as rig:
        await rig.idle(*REPS)
        yield rig


async def on_kafka(rig: GoogleRig, mailbox: str) -> None:
    """Wait until the tail shows exactly the ground truth's live activities for the mailbox."""

    async def matches() -> bool:
        return live(rig, mailbox) == expected(rig.emulator, mailbox)

    await eventually(matches, timeout_sec=15)


def live(rig: GoogleRig, mailbox: str) -> set[str]:
    """What a consumer holds as taking place: neither deleted nor cancelled."""
    return {i for i, a in rig.tail.latest(mailbox).items() if not a.is_deletion and not a.is_cancelled}


def publications(rig: GoogleRig, mailbox: str) -> Counter[str]:
    return Counter(a.id for a in rig.tail.for_mailbox(mailbox))


async def test_full_sync_publishes_the_ground_truth_once_each(rig: GoogleRig) -> None:
    for rep in REPS:
        await on_kafka(rig, rep)
        assert set(publications(rig, rep).values()) == {1}, "every activity published exactly once"
        status = await rig.status(rep)
        assert status.state == "idle" and status.items_captured == len(expected(rig.emulator, rep))
    truth = {m["id"]: m for m in rig.emulator.world.mailbox_truth(ANA)}
    latest = rig.tail.latest(ANA)
    for message_id, message in truth.items():
        activity = latest.get(gid(ANA, message_id))
        if activity is None:
            continue
        sent = "SENT" in message["labelIds"]
        assert activity.kind == (
            activity_pb2.ACTIVITY_KIND_EMAIL_SENT if sent else activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED
        )
        assert activity.provider == activity_pb2.PROVIDER_GOOGLE and activity.rep_id == "rep-ana.reyes"
        assert activity.provider_ids.conversation_id == message["threadId"]
        assert activity.provider_ids.internet_message_id.startswith("<")
        assert activity.subject == "", "subjects only at capture level subject"


async def test_meetings_are_mapped_faithfully(rig: GoogleRig) -> None:
    await on_kafka(rig, ANA)
    events = {e["summary"]: e for e in rig.emulator.world.calendar_truth(ANA) if "summary" in e}
    latest = rig.tail.latest(ANA)
    demo = latest[gid(ANA, events["Vendor demo"]["id"])]
    assert demo.kind == activity_pb2.ACTIVITY_KIND_MEETING
    ana = next(p for p in demo.participants if p.address == ANA)
    assert ana.response_status == activity_pb2.RESPONSE_STATUS_NOT_RESPONDED
    organizer = next(p for p in demo.participants if p.role == activity_pb2.PARTICIPANT_ROLE_ORGANIZER)
    assert organizer.response_status == activity_pb2.RESPONSE_STATUS_ORGANIZER and not organizer.is_internal
    trade_show = latest[gid(ANA, events["Trade show"]["id"])]
    assert trade_show.is_all_day
    assert trade_show.end_at.ToDatetime() - trade_show.occurred_at.ToDatetime() == timedelta(days=1)
    review = latest[gid(ANA, events["Contract review"]["id"])]
    declined = next(p for p in review.participants if not p.is_internal)
    assert declined.response_status == activity_pb2.RESPONSE_STATUS_DECLINED
    assert review.provider_ids.ical_uid == events["Contract review"]["iCalUID"]


async def test_private_internal_and_excluded_items_never_reach_kafka(rig: GoogleRig) -> None:
    published = {a.id for rep in REPS for a in rig.tail.for_mailbox(rep)}
    world = rig.emulator.world
    for rep in REPS:
        private = [e for e in world.calendar_truth(rep) if e.get("visibility") == "private"]
        weekly = [e for e in world.calendar_truth(rep) if e.get("summary") == "Weekly 1:1"]
        assert private and weekly
        assert not {gid(rep, e["id"]) for e in private + weekly} & published, "private and internal-only"
        internal = [m for m in world.mailbox_truth(rep) if _subject(m) in ("Pipeline review", "Forecast")]
        assert len(internal) == 2 and not {gid(rep, m["id"]) for m in internal} & published
    hooli = [
        m
        for m in world.mailbox_truth(DEV)
        if any(EXCLUDED_DOMAIN in h["value"] for h in m["payload"]["headers"])
    ]
    assert hooli, "the seed gives Dev a customer at the excluded domain"
    assert not {gid(DEV, m["id"]) for m in hooli} & published
    skipped = [m for m in world.mailbox_truth(ANA) if {"DRAFT", "SPAM", "TRASH", "CHAT"} & set(m["labelIds"])]
    assert len(skipped) == 4 and not {gid(ANA, m["id"]) for m in skipped} & published


def _subject(message: dict[str, Any]) -> str:
    headers: list[dict[str, str]] = message["payload"]["headers"]
    return next((h["value"] for h in headers if h["name"] == "Subject"), "")


async def test_incremental_changes_flow_through_history_and_sync_tokens(rig: GoogleRig) -> None:
    await on_kafka(rig, BEN)
    world = rig.emulator.world
    inbound = world.send_mail(sender=CUSTOMER, to=[BEN], subject="New order")[BEN]
    outbound = world.send_mail(sender=BEN, to=[CUSTOMER], subject="Thanks")[BEN]
    customer_mail = [m["id"] for m in world.mailbox_truth(BEN) if gid(BEN, m["id"]) in rig.tail.live_ids(BEN)]
    deleted, trashed = customer_mail[0], customer_mail[1]
    world.delete_message(BEN, deleted)
    world.modify_labels(BEN, trashed, add=["TRASH"])
    start = now() + timedelta(days=2)
    meeting = world.create_event(
        organizer=BEN,
        summary="Kick-off",
        start=start,
        end=start + timedelta(hours=1),
        attendees=[(BEN, "accepted"), (CUSTOMER, "needsAction")],
    )
    events = {e["summary"]: e for e in world.calendar_truth(BEN) if "summary" in e}
    moved = now().replace(microsecond=0) + timedelta(days=3)
    world.update_event(
        events["Discovery call"]["id"],
        start={"dateTime": moved.isoformat(), "timeZone": "UTC"},
        end={"dateTime": (moved + timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
    )
    # A new title alone changes nothing capture publishes at capture level metadata.
    world.update_event(events["Contract review"]["id"], summary="Contract review (v2)")
    world.delete_event(events["Vendor demo"]["id"])
    before = publications(rig, BEN)

    await rig.synced(BEN)
    await on_kafka(rig, BEN)
    latest = rig.tail.latest(BEN)
    assert latest[gid(BEN, inbound)].kind == activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED
    assert latest[gid(BEN, outbound)].kind == activity_pb2.ACTIVITY_KIND_EMAIL_SENT
    assert latest[gid(BEN, deleted)].is_deletion and latest[gid(BEN, trashed)].is_deletion
    assert latest[gid(BEN, meeting)].kind == activity_pb2.ACTIVITY_KIND_MEETING
    assert latest[gid(BEN, events["Vendor demo"]["id"])].is_deletion
    assert latest[gid(BEN, events["Discovery call"]["id"])].occurred_at.ToDatetime() == moved.replace(
        tzinfo=None
    )
    new = publications(rig, BEN) - before
    changed = {
        gid(BEN, i) for i in (inbound, outbound, deleted, trashed, meeting, events["Vendor demo"]["id"])
    }
    changed.add(gid(BEN, events["Discovery call"]["id"]))
    assert set(new) == changed and set(new.values()) == {1}, "only what changed is published, once"


async def test_out_of_office_is_published_as_the_away_period_only(rig: GoogleRig) -> None:
    world = rig.emulator.world
    start = now().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    away = world.create_event(
        organizer=DEV, summary="Out of office: surgery", start=start, end=start + timedelta(days=3),
        event_type="outOfOffice", visibility="private",
    )  # fmt: skip
    focus = world.create_event(
        organizer=DEV, summary="Focus", start=start, end=start + timedelta(hours=2), event_type="focusTime"
    )  # fmt: skip
    await rig.synced(DEV)
    await on_kafka(rig, DEV)
    published = rig.tail.latest(DEV)[gid(DEV, away)]
    assert published.kind == activity_pb2.ACTIVITY_KIND_AWAY
    assert published.occurred_at.ToDatetime() == start.replace(tzinfo=None)
    assert published.end_at.ToDatetime() == (start + timedelta(days=3)).replace(tzinfo=None)
    assert not published.HasField("subject") and not published.participants
    assert gid(DEV, focus) not in rig.tail.latest(DEV), "focus time is no activity"
    world.delete_event(away)
    await rig.synced(DEV)
    await on_kafka(rig, DEV)
    gone = rig.tail.latest(DEV)[gid(DEV, away)]
    assert gone.is_deletion and gone.kind == activity_pb2.ACTIVITY_KIND_AWAY


async def test_cancelled_occurrence_is_published_as_cancelled(rig: GoogleRig) -> None:
    world = rig.emulator.world
    start = now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    series = world.create_event(
        organizer=CORA,
        summary="Weekly sync with Globex",
        start=start,
        end=start + timedelta(minutes=30),
        attendees=[(CORA, "accepted"), (CUSTOMER, "accepted")],
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
    )
    await rig.synced(CORA)
    await on_kafka(rig, CORA)
    occurrence = world.cancel_occurrence(series, start + timedelta(weeks=2))
    await rig.synced(CORA)
    await on_kafka(rig, CORA)
    cancelled = rig.tail.latest(CORA)[gid(CORA, occurrence)]
    assert cancelled.is_cancelled and not cancelled.is_deletion
    assert cancelled.provider_ids.series_id == series
    world.delete_event(series)
    await rig.synced(CORA)
    await on_kafka(rig, CORA)
    latest = rig.tail.latest(CORA)
    assert not any(latest[i].provider_ids.series_id == series for i in live(rig, CORA))


async def test_expired_history_and_sync_token_recover_without_gaps_or_duplicates(rig: GoogleRig) -> None:
    await on_kafka(rig, DEV)
    world = rig.emulator.world
    published = [m["id"] for m in world.mailbox_truth(DEV) if gid(DEV, m["id"]) in rig.tail.live_ids(DEV)]
    world.expire_history(DEV)
    world.expire_sync_tokens(DEV)
    # Changes made while the cursors are unusable: the resync must catch every one of them.
    world.delete_message(DEV, published[0])
    arrived = world.send_mail(sender=CUSTOMER, to=[DEV], subject="During the gap")[DEV]
    gone = next(e for e in world.calendar_truth(DEV) if gid(DEV, e["id"]) in rig.tail.live_ids(DEV))
    world.delete_event(gone["id"])
    before = publications(rig, DEV)
    resyncs = (await rig.status(DEV)).resyncs

    await rig.synced(DEV)
    await on_kafka(rig, DEV)
    status = await rig.status(DEV)
    assert status.resyncs == resyncs + 2, "one resync per stream, counted"
    new = publications(rig, DEV) - before
    assert set(new) == {gid(DEV, published[0]), gid(DEV, arrived), gid(DEV, gone["id"])}, (
        "the resync re-published nothing unchanged and missed nothing"
    )
    latest = rig.tail.latest(DEV)
    assert latest[gid(DEV, published[0])].is_deletion and latest[gid(DEV, gone["id"])].is_deletion


async def test_rate_limits_back_off_that_user_then_capture_resumes(rig: GoogleRig) -> None:
    world = rig.emulator.world
    world.inject_fault(ANA, "gmail", "userRateLimitExceeded", count=1)
    world.inject_fault(ANA, "calendar", "rateLimitExceeded", count=1, status=429)
    arrived = world.send_mail(sender=CUSTOMER, to=[ANA], subject="After the limit")[ANA]
    other = world.send_mail(sender=CUSTOMER, to=[BEN], subject="Unaffected")[BEN]
    throttles = rig.worker(ANA).status.throttles
    await rig.trigger(BEN)
    started = time.monotonic()
    await rig.synced(ANA)
    elapsed = time.monotonic() - started
    await _arrives(rig, ANA, arrived)
    assert rig.worker(ANA).status.throttles >= throttles + 2 and rig.worker(ANA).status.state.value == "idle"
    assert elapsed >= 0.5, "a rate-limited user waits out at least the first backoff step (0.5-1 s)"

    assert world.faults.pending(ANA, "gmail") == 0 and world.faults.pending(ANA, "calendar") == 0
    await _arrives(rig, BEN, other)


async def _arrives(rig: GoogleRig, mailbox: str, message_id: str) -> bool:
    async def there() -> bool:
        return gid(mailbox, message_id) in rig.tail.live_ids(mailbox)

    await eventually(there, timeout_sec=15)
    return True


async def test_revoked_delegation_puts_one_mailbox_in_error_while_others_flow(rig: GoogleRig) -> None:
    world = rig.emulator.world
    world.set_delegation(CORA, granted=False)
    try:
        blocked = world.send_mail(sender=CUSTOMER, to=[CORA], subject="Cannot be read")[CORA]
        flowing = world.send_mail(sender=CUSTOMER, to=[ANA], subject="Still flowing")[ANA]
        await rig.trigger(CORA)
        await rig.trigger(ANA)

        async def in_error() -> bool:
            return (await rig.status(CORA)).state == "error"

        await eventually(in_error, timeout_sec=15)
        assert (await rig.status(CORA)).last_error.startswith("revoked:")
        await _arrives(rig, ANA, flowing)
        assert gid(CORA, blocked) not in rig.tail.live_ids(CORA)
    finally:
        world.set_delegation(CORA, granted=True)
    await rig.synced(CORA)
    await _arrives(rig, CORA, blocked)
    assert (await rig.status(CORA)).state == "idle"
