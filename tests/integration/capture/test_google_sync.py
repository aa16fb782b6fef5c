"""The Google adapter against the emulator, through the real google-api-python-client and
google-auth: full and incremental sync, expired cursors, and the ground truth they must match."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from services.capture.providers.google import sync
from services.capture.providers.google.client import GoogleApiError, GoogleWorkspaceClient
from services.capture.providers.google.errors import ErrorClass
from services.capture.providers.google.items import (
    MailItem,
    MailKind,
    MailRemoval,
    MeetingItem,
    MeetingRemoval,
    RemovalReason,
    Response,
    Sensitivity,
)
from services.capture.providers.google.sync import GmailBatch
from services.sandbox.emulators.google import DOMAIN, GoogleEmulator, running_google_emulator
from tests.integration.capture.google_support import (
    calendar,
    client_for,
    full_mail,
    history,
    last_gmail_cursor,
    mail_ids,
    meeting_ids,
    truth_mail_ids,
    truth_meeting_ids,
)

pytestmark = pytest.mark.integration

ANA = f"ana.reyes@{DOMAIN}"
BEN = f"ben.okafor@{DOMAIN}"
CUSTOMER = "hank.scorpio@globex.example"


@pytest.fixture
async def emulator() -> AsyncIterator[GoogleEmulator]:
    async with running_google_emulator() as emulator:
        yield emulator


@pytest.fixture
async def client(emulator: GoogleEmulator) -> AsyncIterator[GoogleWorkspaceClient]:
    async with client_for(emulator) as client:
        yield client


async def test_full_sync_captures_exactly_what_each_mailbox_holds(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient
) -> None:
    reps = [u for u in emulator.world.users() if not u.startswith(("max.", "eve."))]
    for rep in reps:
        mail = await full_mail(client, rep, page_size=4)
        assert len(mail) > 1, "several pages walked"
        assert mail_ids(mail) == truth_mail_ids(emulator, rep)
        assert sum(b.skipped for b in mail) == 2, "the draft and the chat message are read and skipped"
        assert last_gmail_cursor(mail).history_id == emulator.world.mailboxes[rep].history_id
        items = [i for b in mail for i in b.items if isinstance(i, MailItem)]
        sent = {i.message_id for i in items if i.kind is MailKind.SENT}
        truth = emulator.world.mailbox_truth(rep)
        assert sent == {m["id"] for m in truth if "SENT" in m["labelIds"]}

        meetings = await calendar(client, rep, page_size=3)
        assert meetings[0].items == () and not meetings[0].complete, "an empty first page is followed"
        assert meetings[-1].complete and meetings[-1].cursor.sync_token
        assert meeting_ids(meetings) == truth_meeting_ids(emulator, rep)


async def test_full_sync_maps_meetings_faithfully(client: GoogleWorkspaceClient) -> None:
    meetings = [i for b in await calendar(client, ANA) for i in b.items]
    assert all(isinstance(i, MeetingItem) for i in meetings), "no cancelled entries in a full sync"
    by_subject: dict[str, list[MeetingItem]] = {}
    for item in meetings:
        assert isinstance(item, MeetingItem)
        by_subject.setdefault(item.subject or "", []).append(item)
    assert by_subject["Doctor"][0].sensitivity is Sensitivity.PRIVATE
    assert by_subject["Trade show"][0].all_day
    assert by_subject["Vendor demo"][0].owner_response is Response.NOT_RESPONDED
    assert by_subject["Discovery call"][0].owner_response is Response.ORGANIZER
    assert "Cancelled lunch" not in by_subject
    series = by_subject["Weekly 1:1"]
    assert len(series) == 7, "8 occurrences, one cancelled"
    assert len({s.ical_uid for s in series}) == 1 and len({s.series_id for s in series}) == 1
    moved = [s for s in series if s.start.hour != series[0].start.hour]
    assert len(moved) == 1, "the moved occurrence keeps its own time"


async def test_incremental_mail_through_history_pages(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient
) -> None:
    cursor = last_gmail_cursor(await full_mail(client, ANA))
    world = emulator.world
    inbound = world.send_mail(sender=CUSTOMER, to=[ANA], subject="New order")[ANA]
    outbound = world.send_mail(sender=ANA, to=[CUSTOMER], subject="Thanks")[ANA]
    victim, trashed, *_ = [m["id"] for m in world.mailbox_truth(ANA) if m["id"] not in (inbound, outbound)]
    world.delete_message(ANA, victim)
    world.modify_labels(ANA, trashed, add=["TRASH"])
    world.modify_labels(ANA, inbound, add=["STARRED"], remove=["UNREAD"])  # must not matter

    batches = await history(client, ANA, cursor.history_id, page_size=2)
    assert len(batches) >= 3 and batches[-1].complete
    changes = {i.message_id: i for b in batches for i in b.items}
    received, sent, gone, binned = (changes[inbound], changes[outbound], changes[victim], changes[trashed])
    assert isinstance(received, MailItem) and received.kind is MailKind.RECEIVED
    assert isinstance(sent, MailItem) and sent.kind is MailKind.SENT
    assert gone == MailRemoval(victim, RemovalReason.DELETED, gone.history_id)
    assert isinstance(binned, MailRemoval) and binned.reason is RemovalReason.SKIPPED
    assert set(changes) == {inbound, outbound, victim, trashed}

    # Resuming from a mid-walk cursor re-reads at most what followed it, and ends at the same place.
    resumed = await history(client, ANA, batches[0].cursor.history_id, page_size=2)
    assert {i.message_id for b in resumed for i in b.items} <= set(changes)
    assert resumed[-1].cursor == batches[-1].cursor
    end = batches[-1].cursor
    assert await history(client, ANA, end.history_id) == [GmailBatch((), 0, end, True)], "nothing new"


async def test_incremental_calendar_through_sync_tokens(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient
) -> None:
    first = await calendar(client, ANA)
    world = emulator.world
    start = world.anchor + timedelta(days=2, hours=10)
    new = world.create_event(
        organizer=CUSTOMER, summary="Negotiation", start=start, end=start + timedelta(hours=1),
        attendees=[(CUSTOMER, "accepted"), (ANA, "needsAction")],
    )  # fmt: skip
    world.update_event(new, summary="Negotiation (moved room)")
    series = next(e["recurringEventId"] for e in world.calendar_truth(ANA) if "recurringEventId" in e)
    first_start = min(
        datetime.fromisoformat(e["originalStartTime"]["dateTime"].replace("Z", "+00:00"))
        for e in world.calendar_truth(ANA)
        if e.get("recurringEventId") == series
    )
    cancelled = world.cancel_occurrence(series, first_start)
    discovery = next(e["id"] for e in world.calendar_truth(ANA) if e.get("summary") == "Discovery call")
    world.delete_event(discovery)

    changes = {
        i.event_id: i for b in await calendar(client, ANA, first[-1].cursor, page_size=2) for i in b.items
    }
    created = changes[new]
    assert isinstance(created, MeetingItem) and created.subject == "Negotiation (moved room)"
    assert changes[cancelled] == MeetingRemoval(
        cancelled, RemovalReason.OCCURRENCE_CANCELLED, series, first_start
    )
    assert changes[discovery] == MeetingRemoval(discovery, RemovalReason.DELETED, None, None)
    assert set(changes) == {new, cancelled, discovery}


async def test_expired_history_id_recovers_by_full_sync_without_gaps(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient
) -> None:
    world = emulator.world
    cursor = last_gmail_cursor(await full_mail(client, BEN))
    before = {world.send_mail(sender=CUSTOMER, to=[BEN], subject=f"before {n}")[BEN] for n in range(3)}
    world.expire_history(BEN)
    with pytest.raises(GoogleApiError) as expired:
        await history(client, BEN, cursor.history_id)
    assert expired.value.error_class is ErrorClass.CURSOR_EXPIRED
    assert expired.value.failure.status == 404

    after = world.send_mail(sender=BEN, to=[CUSTOMER], subject="after")[BEN]
    resync = await full_mail(client, BEN)
    assert before | {after} <= mail_ids(resync)
    assert mail_ids(resync) == truth_mail_ids(emulator, BEN)
    later = world.send_mail(sender=CUSTOMER, to=[BEN], subject="later")[BEN]
    assert mail_ids(await history(client, BEN, last_gmail_cursor(resync).history_id)) == {later}


async def test_bounded_resync_stops_at_the_bound(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient
) -> None:
    bound = emulator.world.anchor - timedelta(days=7)
    batches = await full_mail(client, ANA, page_size=3, not_before=bound)
    assert batches[-1].complete and not batches[-1].cursor.in_full_sync
    recent = {
        m["id"] for m in emulator.world.mailbox_truth(ANA)
        if int(m["internalDate"]) >= bound.timestamp() * 1000 and m["id"] in truth_mail_ids(emulator, ANA)
    }  # fmt: skip
    assert mail_ids(batches) == recent
    assert recent != truth_mail_ids(emulator, ANA), "the seed has older mail, so the bound did cut"


async def test_expired_sync_token_recovers_by_full_sync(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient
) -> None:
    world = emulator.world
    cursor = (await calendar(client, BEN))[-1].cursor
    start = world.anchor + timedelta(days=1, hours=9)
    added = world.create_event(organizer=BEN, summary="Kickoff", start=start, end=start + timedelta(hours=1))
    world.expire_sync_tokens(BEN)
    with pytest.raises(GoogleApiError) as expired:
        await calendar(client, BEN, cursor)
    assert (expired.value.error_class, expired.value.failure.status) == (ErrorClass.CURSOR_EXPIRED, 410)
    assert expired.value.failure.reason == "fullSyncRequired"

    resync = await calendar(client, BEN)
    assert added in meeting_ids(resync)
    assert meeting_ids(resync) == truth_meeting_ids(emulator, BEN)
    world.update_event(added, summary="Kickoff v2")
    assert meeting_ids(await calendar(client, BEN, resync[-1].cursor)) == {added}


async def test_restart_mid_backfill_resumes_from_the_stored_cursor(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient
) -> None:
    walk = sync.gmail_full_sync(client, ANA, page_size=3)
    first = await anext(walk)
    await walk.aclose()  # the process dies after publishing and storing the first page
    assert first.cursor.in_full_sync
    arrived = emulator.world.send_mail(sender=CUSTOMER, to=[ANA], subject="during backfill")[ANA]
    rest = await full_mail(client, ANA, resume=first.cursor, page_size=3)
    assert mail_ids([first, *rest]) | {arrived} == truth_mail_ids(emulator, ANA)
    assert last_gmail_cursor(rest).history_id == first.cursor.history_id, (
        "history resumes where the backfill began"
    )
    assert arrived in mail_ids(await history(client, ANA, last_gmail_cursor(rest).history_id))

    meetings = await calendar(client, ANA, page_size=2)
    resumed = await calendar(client, ANA, meetings[2].cursor, page_size=2)
    assert meeting_ids(meetings[:3]) | meeting_ids(resumed) == truth_meeting_ids(emulator, ANA)


async def test_sync_against_a_mailbox_the_service_account_cannot_see(client: GoogleWorkspaceClient) -> None:
    with pytest.raises(GoogleApiError) as refused:
        await calendar(client, "stranger@elsewhere.example")
    assert refused.value.error_class is ErrorClass.UNAUTHORIZED
    assert refused.value.failure.reason == "invalid_grant"


async def test_one_event_per_page(emulator: GoogleEmulator, client: GoogleWorkspaceClient) -> None:
    batches = await calendar(client, ANA, page_size=1)
    assert all(len(b.items) <= 1 for b in batches)
    assert meeting_ids(batches) == truth_meeting_ids(emulator, ANA)
