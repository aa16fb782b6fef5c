"""Hostile Graph items at every position of a page, through the real msal and httpx, into the real
broker: each one is quarantined (counted with its reason, dead-lettered with its ids and no content),
the cursor moves on and every good item around it is captured. One capture instance per module."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.conftest import eventually
from tests.integration.capture.harness import expected_ids
from tests.integration.capture.rig import CUSTOMER, Rig, aid, running_rig
from tests.integration.conftest import Isolated
from tests.kafka_topics import partitions_of

pytestmark = [
    pytest.mark.integration,
    # Hypothesis prints every argument of a failing example, the module's fixtures included (large).
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

# (what the emulator serves instead of the real properties, what it leaves out, the reason capture gives)
HOSTILE_MESSAGES: list[tuple[dict[str, Any], tuple[str, ...], str]] = [
    ({"receivedDateTime": "yesterday-ish"}, (), "bad_date"),
    ({"receivedDateTime": "1601-01-01T00:00:00Z"}, (), "absurd_date"),
    ({"lastModifiedDateTime": 12345}, (), "bad_date"),
    ({}, ("from", "sender"), "missing_sender"),
    ({"id": None}, (), "missing_id"),
    ({"subject": "x" * 5_000}, (), "oversized_field"),
    ({"subject": "half a surrogate \ud800"}, (), "invalid_text"),
    ({"toRecipients": "everyone"}, (), "wrong_type"),
    ({"from": {"emailAddress": {"address": ["not", "a", "string"]}}}, (), "wrong_type"),
]
HOSTILE_EVENTS: list[tuple[dict[str, Any], tuple[str, ...], str]] = [
    ({"start": {"dateTime": "soon", "timeZone": "UTC"}}, (), "bad_date"),
    ({"end": "tomorrow"}, (), "bad_date"),
    ({"end": {"dateTime": "2001-01-01T00:00:00.0000000", "timeZone": "UTC"}}, (), "absurd_date"),
    ({"attendees": {"not": "a list"}}, (), "wrong_type"),
]
GOOD = 7  # with Graph pages of 5 (harness), the hostile item lands on either page, first to last


@pytest.fixture(scope="module")
async def rig(isolated: Isolated, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    async with running_rig(isolated, tmp_path_factory) as running:
        yield running


async def dead_letters(isolated: Isolated) -> list[dict[str, str]]:
    """The headers of every record on the dead-letter topic so far."""
    consumer = AIOKafkaConsumer(bootstrap_servers=isolated.bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await partitions_of(isolated.bootstrap_servers, isolated.topics.deadletter)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[dict[str, str]] = []

        async def behind() -> bool:
            return any([await consumer.position(p) < ends[p] for p in partitions])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for r in records:
                    assert not r.value, "a dead letter of capture carries no content"
                    found.append({k: v.decode() for k, v in r.headers})
        return found
    finally:
        await consumer.stop()


async def _captured_around(rig: Rig, isolated: Isolated, mailbox: str, poisoned: str, reason: str) -> None:
    expected = expected_ids(rig.emulator, mailbox, rig.window) - {aid(mailbox, poisoned)}
    assert len(expected) == GOOD
    note(f"hostile item at {poisoned}: expected {reason}")
    await rig.add(mailbox)
    try:
        await rig.idle(mailbox)
    except AssertionError as exc:
        raise AssertionError(f"mailbox not idle: {rig.worker(mailbox).status}") from exc

    async def arrived() -> bool:
        return rig.tail.live_ids(mailbox) == expected

    await eventually(arrived, timeout_sec=20)
    status = await rig.status(mailbox)
    assert (status.items_rejected, status.last_reject_reason) == (1, reason)
    assert status.last_reject_at.seconds > 0
    letters = await dead_letters(isolated)
    mine = [d for d in letters if d.get("capture.mailbox_id") == str(rig.worker(mailbox).mailbox.mailbox_id)]
    assert [d["dlq.error"] for d in mine] == [reason]
    assert mine[0]["capture.item_id"] in {poisoned, ""}  # empty: the item had no usable id
    assert mine[0]["dlq.source"] == "capture"
    assert not any(mailbox in value for d in mine for value in d.values()), "no address in a dead letter"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(position=st.integers(min_value=0, max_value=GOOD), hostile=st.sampled_from(HOSTILE_MESSAGES))
async def test_a_hostile_message_anywhere_is_quarantined_and_the_rest_flows(
    rig: Rig, isolated: Isolated, position: int, hostile: tuple[dict[str, Any], tuple[str, ...], str]
) -> None:
    replace, drop, reason = hostile
    mailbox = rig.new_mailbox(f"poison-mail-{uuid.uuid4().hex[:8]}")
    sent = datetime.now(UTC) - timedelta(hours=3)
    ids = [
        rig.emulator.add_message(mailbox, sender=CUSTOMER, to=[mailbox], sent_at=sent + timedelta(minutes=i))
        for i in range(GOOD + 1)
    ]
    poisoned = ids[position]
    rig.emulator.poison(mailbox, poisoned, replace=replace, drop=drop)
    await _captured_around(rig, isolated, mailbox, poisoned, reason)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(position=st.integers(min_value=0, max_value=GOOD), hostile=st.sampled_from(HOSTILE_EVENTS))
async def test_a_hostile_event_anywhere_is_quarantined_and_the_rest_flows(
    rig: Rig, isolated: Isolated, position: int, hostile: tuple[dict[str, Any], tuple[str, ...], str]
) -> None:
    replace, drop, reason = hostile
    mailbox = rig.new_mailbox(f"poison-cal-{uuid.uuid4().hex[:8]}")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    ids = [
        rig.emulator.add_event(
            mailbox, organizer=mailbox, attendees=[CUSTOMER], start=soon + timedelta(hours=i)
        )
        for i in range(GOOD + 1)
    ]
    poisoned = ids[position]
    rig.emulator.poison(mailbox, poisoned, replace=replace, drop=drop)
    await _captured_around(rig, isolated, mailbox, poisoned, reason)
