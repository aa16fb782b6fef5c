"""Push deliveries reach a local HTTP endpoint in Google's shape; the control API works over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from services.capture.providers.google import sync
from services.capture.providers.google.client import GoogleWorkspaceClient
from services.capture.providers.google.push import (
    channel_token_matches,
    parse_calendar_push,
    parse_pubsub_push,
)
from services.sandbox.emulators.google import DOMAIN, GoogleEmulator, running_google_emulator
from tests.conftest import eventually
from tests.integration.capture.google_support import (
    PushReceiver,
    calendar,
    client_for,
    full_mail,
    history,
    last_gmail_cursor,
    mail_ids,
    push_receiver,
)

pytestmark = pytest.mark.integration

ANA, BEN = f"ana.reyes@{DOMAIN}", f"ben.okafor@{DOMAIN}"
CUSTOMER = "hank.scorpio@globex.example"
TOPIC = "projects/groundtruth-emulator/topics/gmail"


@pytest.fixture
async def emulator() -> AsyncIterator[GoogleEmulator]:
    async with running_google_emulator() as emulator:
        yield emulator


@pytest.fixture
async def client(emulator: GoogleEmulator) -> AsyncIterator[GoogleWorkspaceClient]:
    async with client_for(emulator) as client:
        yield client


@pytest.fixture
async def receiver() -> AsyncIterator[PushReceiver]:
    async with push_receiver() as receiver:
        yield receiver


async def test_gmail_push_wakes_the_mailbox(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient, receiver: PushReceiver
) -> None:
    emulator.world.add_push_subscription(
        TOPIC, receiver.url + "/push/gmail", name="projects/p/subscriptions/gt"
    )
    cursor = last_gmail_cursor(await full_mail(client, ANA))
    watch = await sync.gmail_watch(client, ANA, topic=TOPIC, label_ids=["INBOX"])
    assert watch.history_id == cursor.history_id
    assert timedelta(days=6) < watch.expires_at - emulator.world.anchor < timedelta(days=9)

    arrived = emulator.world.send_mail(sender=CUSTOMER, to=[ANA], subject="Ping")[ANA]
    emulator.world.send_mail(sender=CUSTOMER, to=[ANA], subject="Ping again")  # within 1 s: dropped

    async def delivered() -> bool:
        return len(receiver.paths("/push/gmail")) >= 1

    await eventually(delivered, timeout_sec=5)
    headers, body = receiver.paths("/push/gmail")[0]
    assert headers["content-type"] == "application/json"
    envelope = json.loads(body)
    assert envelope["subscription"] == "projects/p/subscriptions/gt"
    assert {"data", "messageId", "publishTime"} <= set(envelope["message"])
    notice = parse_pubsub_push(body)
    assert notice.email_address == ANA and notice.history_id > cursor.history_id
    assert emulator.world.push.gmail_watches[ANA].dropped == 1, "at most one notification per second"
    # The notification only wakes the mailbox: the stored cursor decides what to read.
    assert arrived in mail_ids(await history(client, ANA, cursor.history_id))

    await sync.gmail_stop(client, ANA)
    assert ANA not in emulator.world.push.gmail_watches
    emulator.world.send_mail(sender=CUSTOMER, to=[ANA], subject="Not watched any more")
    assert len(receiver.paths("/push/gmail")) == 1


async def test_gmail_push_honours_the_label_filter(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient, receiver: PushReceiver
) -> None:
    emulator.world.add_push_subscription(TOPIC, receiver.url + "/push/gmail")
    await sync.gmail_watch(client, ANA, topic=TOPIC, label_ids=["SENT"], exclude=True)
    emulator.world.send_mail(sender=ANA, to=[CUSTOMER], subject="Excluded: sent")
    assert emulator.world.push.gmail_watches[ANA].last_sent == float("-inf")
    emulator.world.send_mail(sender=CUSTOMER, to=[ANA], subject="Included: received")

    async def delivered() -> bool:
        return len(receiver.paths("/push/gmail")) == 1

    await eventually(delivered, timeout_sec=5)


async def test_failed_push_is_retried(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient, receiver: PushReceiver
) -> None:
    receiver.status = 503
    emulator.world.push.retry_delays_sec = (0.05, 0.05)
    emulator.world.add_push_subscription(TOPIC, receiver.url + "/push/gmail")
    await sync.gmail_watch(client, ANA, topic=TOPIC)
    emulator.world.send_mail(sender=CUSTOMER, to=[ANA], subject="Ping")

    async def gave_up() -> bool:
        return len([d for d in emulator.world.push.deliveries if d.kind == "gmail"]) == 3

    await eventually(gave_up, timeout_sec=5)
    assert [d.status for d in emulator.world.push.deliveries] == [503, 503, 503]
    assert [d.attempt for d in emulator.world.push.deliveries] == [1, 2, 3]


async def test_calendar_channel_notifications(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient, receiver: PushReceiver
) -> None:
    first = await calendar(client, BEN)
    channel = await sync.calendar_watch(
        client,
        BEN,
        channel_id="chan-ben-1",
        address=receiver.url + "/push/calendar",
        token="s3cret",
        ttl_sec=3600,
    )
    assert channel.resource_uri.endswith("/calendar/v3/calendars/primary/events?alt=json")
    assert channel.expires_at is not None

    async def count(n: int) -> bool:
        return len(receiver.paths("/push/calendar")) >= n

    await eventually(lambda: count(1), timeout_sec=5)
    start = emulator.world.anchor + timedelta(days=1, hours=11)
    added = emulator.world.create_event(
        organizer=BEN, summary="Call", start=start, end=start + timedelta(minutes=30)
    )
    await eventually(lambda: count(2), timeout_sec=5)

    hello, change = (parse_calendar_push(h) for h, _ in receiver.paths("/push/calendar"))
    bodies = [b for _, b in receiver.paths("/push/calendar")]
    assert bodies == [b"", b""], "calendar notifications carry no body"
    assert (hello.state, hello.message_number, hello.is_change) == ("sync", 1, False)
    assert (change.state, change.message_number, change.is_change) == ("exists", 2, True)
    assert change.channel_id == "chan-ben-1" and change.resource_id == channel.resource_id
    assert channel_token_matches("s3cret", change.token)
    headers = receiver.paths("/push/calendar")[1][0]
    assert headers["x-goog-channel-expiration"].endswith("GMT")
    # The notification only says "something changed": the sync token says what.
    changed = [i.event_id for b in await calendar(client, BEN, first[-1].cursor) for i in b.items]
    assert changed == [added]

    await sync.calendar_stop(client, BEN, channel)
    await sync.calendar_stop(client, BEN, channel)  # stopping twice is harmless
    emulator.world.update_event(added, summary="Call v2")
    assert len(receiver.paths("/push/calendar")) == 2


async def test_control_api_over_http(emulator: GoogleEmulator) -> None:
    async with httpx.AsyncClient(base_url=emulator.base_url + "/_emulator", trust_env=False) as http:
        organisation = (await http.get("/organisation")).json()
        assert organisation["domain"] == DOMAIN and ANA in organisation["users"]
        key = (await http.get("/key")).json()
        assert (
            key["token_uri"] == emulator.token_uri and key["client_email"] == organisation["serviceAccount"]
        )

        placed = (await http.post("/mail", json={"sender": CUSTOMER, "to": [ANA], "subject": "Hi"})).json()[
            "placed"
        ]
        truth = (await http.get(f"/users/{ANA}/truth")).json()
        assert placed[ANA] in {m["id"] for m in truth["messages"]}
        event = (
            await http.post(
                "/events",
                json={
                    "organizer": ANA,
                    "summary": "Demo",
                    "start": "2026-12-01T10:00:00Z",
                    "end": "2026-12-01T11:00:00Z",
                    "attendees": [{"email": CUSTOMER, "responseStatus": "accepted"}],
                },
            )
        ).json()["id"]
        assert event in {e["id"] for e in (await http.get(f"/users/{ANA}/truth")).json()["events"]}
        assert (await http.request("DELETE", f"/events/{event}")).status_code == 204
        assert event not in {e["id"] for e in (await http.get(f"/users/{ANA}/truth")).json()["events"]}

        assert (
            await http.post(f"/users/{ANA}/faults", json={"api": "gmail", "kind": "teapot"})
        ).status_code == 400
        assert (
            await http.post(f"/users/{ANA}/faults", json={"api": "gmail", "kind": "serverError", "count": 2})
        ).status_code == 204
        assert emulator.world.faults.pending(ANA, "gmail") == 2
        assert (
            await http.post("/users/nobody@acme.example/expire", json={"what": "history"})
        ).status_code == 404
        assert (await http.post(f"/users/{ANA}/expire", json={"what": "everything"})).status_code == 400
        assert (await http.post(f"/users/{ANA}/delegation", json={"granted": False})).status_code == 204
        assert ANA in emulator.world.directory.revoked_users
        assert (await http.post("/events", content=b"not json")).status_code == 400
