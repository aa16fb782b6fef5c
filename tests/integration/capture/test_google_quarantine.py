"""Hostile Gmail messages and Calendar events at every position of a page, through the real
google-api-python-client against the emulator, into the real broker: each one is quarantined with
its reason, the cursor moves on, every good item around it is captured. One capture per module."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from groundtruth.capture.v1 import capture_pb2
from services.sandbox.emulators.google import DOMAIN, GoogleEmulator, running_google_emulator
from tests.conftest import eventually
from tests.integration.capture.google_rig import TENANT, GoogleRig, expected, gid, now, running_google_rig
from tests.integration.conftest import Isolated

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

CUSTOMER = "wile.e@acme-products.example"
GOOD = 7  # Gmail pages of 4, Calendar pages of 5 (google_rig): the hostile item lands on either page


def _headers(mailbox: str, *, sender: bool = True, date: bool = True, subject: str = "Hi") -> dict[str, Any]:
    headers = [{"name": "To", "value": mailbox}, {"name": "Subject", "value": subject}]
    if sender:
        headers.append({"name": "From", "value": CUSTOMER})
    if date:
        headers.append({"name": "Date", "value": format_datetime(now())})
    return {"payload": {"partId": "", "mimeType": "text/plain", "filename": "", "headers": headers}}


def hostile_messages(mailbox: str) -> list[tuple[dict[str, Any], str]]:
    return [
        ({**_headers(mailbox, date=False), "internalDate": "soon"}, "bad_date"),
        ({**_headers(mailbox, date=False), "internalDate": "99999999999999999999"}, "absurd_date"),
        (_headers(mailbox, sender=False), "missing_sender"),
        ({"payload": "not an object"}, "wrong_type"),
        (_headers(mailbox, subject="x" * 5_000), "oversized_field"),
    ]


HOSTILE_EVENTS: list[tuple[dict[str, Any], str]] = [
    ({"start": {"dateTime": "soon"}}, "bad_date"),
    ({"start": "tomorrow"}, "bad_date"),
    (
        {"start": {"dateTime": "1601-01-01T09:00:00Z"}, "end": {"dateTime": "1601-01-01T10:00:00Z"}},
        "absurd_date",
    ),
]


@pytest.fixture(scope="module")
async def emulator() -> AsyncIterator[GoogleEmulator]:
    async with running_google_emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
async def rig(isolated: Isolated, emulator: GoogleEmulator) -> AsyncIterator[GoogleRig]:
    async with running_google_rig(isolated, emulator, [f"ana.reyes@{DOMAIN}"], public_base_url="") as rig:
        yield rig


def new_mailbox(rig: GoogleRig, name: str) -> str:
    mailbox = f"{name}-{uuid.uuid4().hex[:8]}@{DOMAIN}"
    rig.emulator.world.add_user(mailbox, "Poison Test")
    return mailbox


async def captured_around(rig: GoogleRig, mailbox: str, wanted: set[str], reason: str) -> None:
    await rig.admin.UpsertMailboxes(
        capture_pb2.UpsertMailboxesRequest(
            tenant_id=TENANT,
            connection_id="gws-main",
            mailboxes=[capture_pb2.MailboxAssignment(address=mailbox, rep_id="rep-poison")],
        )
    )
    try:
        await rig.idle(mailbox)
    except AssertionError as exc:
        raise AssertionError(f"mailbox not idle: {rig.worker(mailbox).status}") from exc

    def live() -> set[str]:
        return {i for i, a in rig.tail.latest(mailbox).items() if not a.is_deletion}

    async def arrived() -> bool:
        return live() == wanted

    try:
        await eventually(arrived, timeout_sec=20)
    except AssertionError as exc:
        worker = rig.worker(mailbox).status
        raise AssertionError(f"extra {live() - wanted}, missing {wanted - live()}; {worker}") from exc
    status = await rig.status(mailbox)
    assert (status.items_rejected, status.last_reject_reason) == (1, reason)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(position=st.integers(min_value=0, max_value=GOOD), which=st.integers(min_value=0, max_value=4))
async def test_a_hostile_gmail_message_anywhere_is_quarantined_and_the_rest_flows(
    rig: GoogleRig, position: int, which: int
) -> None:
    mailbox = new_mailbox(rig, "poison-gmail")
    world = rig.emulator.world
    placed = [
        world.send_mail(sender=CUSTOMER, to=[mailbox], subject=f"m{i}", sent_at=now() - timedelta(hours=i))
        for i in range(GOOD + 1)
    ]
    ids = [p[mailbox] for p in placed]
    wanted = expected(rig.emulator, mailbox) - {gid(mailbox, ids[position])}
    assert len(wanted) == GOOD
    replace, reason = hostile_messages(mailbox)[which]
    note(f"hostile message {ids[position]}: expected {reason}")
    world.poison_message(mailbox, ids[position], replace)
    await captured_around(rig, mailbox, wanted, reason)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(position=st.integers(min_value=0, max_value=GOOD), hostile=st.sampled_from(HOSTILE_EVENTS))
async def test_a_hostile_calendar_event_anywhere_is_quarantined_and_the_rest_flows(
    rig: GoogleRig, position: int, hostile: tuple[dict[str, Any], str]
) -> None:
    mailbox = new_mailbox(rig, "poison-cal")
    world = rig.emulator.world
    start = now().replace(microsecond=0) + timedelta(days=2)
    ids = [
        world.create_event(
            organizer=mailbox,
            summary=f"e{i}",
            start=start + timedelta(hours=i),
            end=start + timedelta(hours=i, minutes=30),
            attendees=[(mailbox, "accepted"), (CUSTOMER, "accepted")],
        )
        for i in range(GOOD + 1)
    ]
    wanted = expected(rig.emulator, mailbox) - {gid(mailbox, ids[position])}
    assert len(wanted) == GOOD
    replace, reason = hostile
    note(f"hostile event {ids[position]}: expected {reason}")
    world.poison_event(mailbox, ids[position], replace)
    await captured_around(rig, mailbox, wanted, reason)
