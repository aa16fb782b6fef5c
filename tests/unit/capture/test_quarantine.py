"""Item-level quarantine: what is unfit to publish, and parsers that fail only on the item itself."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.capture.domain.items import Direction, person
from services.capture.domain.quarantine import UNREADABLE, RejectReason, check_item, reason_of, safe_id
from services.capture.providers.microsoft.parse import parse_event, parse_message
from tests.unit.capture.builders import email, meeting

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_a_sound_item_passes() -> None:
    assert check_item(email("m1"), now=NOW) is None
    assert check_item(meeting("e1"), now=NOW) is None


def test_each_hostile_shape_has_its_reason() -> None:
    cases = {
        RejectReason.MISSING_ID: dataclasses.replace(email("m1"), item_id=""),
        RejectReason.ABSURD_DATE: dataclasses.replace(
            email("m1"), occurred_at=datetime(1601, 1, 1, tzinfo=UTC)
        ),
        RejectReason.MISSING_SENDER: dataclasses.replace(email("m1"), sender=None),
        RejectReason.OVERSIZED: dataclasses.replace(email("m1"), subject="x" * 100_000),
        RejectReason.INVALID_TEXT: dataclasses.replace(email("m1"), subject="bad \ud800 surrogate"),
    }
    for reason, item in cases.items():
        assert check_item(item, now=NOW) is reason, reason
    backwards = dataclasses.replace(meeting("e1"), end=meeting("e1").start - timedelta(hours=1))
    assert check_item(backwards, now=NOW) is RejectReason.ABSURD_DATE
    far = dataclasses.replace(meeting("e1"), start=NOW + timedelta(days=366 * 30))
    assert check_item(far, now=NOW) is RejectReason.ABSURD_DATE
    nul = dataclasses.replace(email("m1"), to=(person("a\x00b@x.example"),))
    assert check_item(nul, now=NOW) is RejectReason.INVALID_TEXT


def test_sent_mail_without_a_sender_is_the_owners_own() -> None:
    sent = dataclasses.replace(email("m1", direction=Direction.SENT), sender=None)
    assert check_item(sent, now=NOW) is None


def test_reasons_and_ids_carry_nothing_of_the_item() -> None:
    assert reason_of(UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad")) is RejectReason.INVALID_TEXT
    assert reason_of(KeyError("id")) is RejectReason.WRONG_TYPE
    assert reason_of(OverflowError()) is RejectReason.ABSURD_DATE
    assert safe_id("AAMk123") == "AAMk123"
    assert safe_id({"nested": 1}) == ""
    assert safe_id("x" * 5000) == ""
    assert safe_id("line\nbreak") == ""


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
_MESSAGE_FIELDS = [
    "id",
    "from",
    "sender",
    "toRecipients",
    "receivedDateTime",
    "sentDateTime",
    "lastModifiedDateTime",
    "subject",
    "internetMessageId",
    "isDraft",
]
_EVENT_FIELDS = [
    "id",
    "start",
    "end",
    "lastModifiedDateTime",
    "organizer",
    "attendees",
    "subject",
    "sensitivity",
    "seriesMasterId",
]


def _sound_message() -> dict[str, Any]:
    who = {"emailAddress": {"address": "buyer@customer.example", "name": "Buyer"}}
    return {
        "id": "AAMk1",
        "from": who,
        "sender": who,
        "toRecipients": [who],
        "receivedDateTime": "2026-05-01T10:00:00Z",
        "sentDateTime": "2026-05-01T09:59:58Z",
        "lastModifiedDateTime": "2026-05-01T10:00:00Z",
        "subject": "Pricing",
    }


def _sound_event() -> dict[str, Any]:
    return {
        "id": "AAMkE1",
        "start": {"dateTime": "2026-05-01T10:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-05-01T11:00:00.0000000", "timeZone": "UTC"},
        "lastModifiedDateTime": "2026-05-01T10:00:00Z",
        "organizer": {"emailAddress": {"address": "buyer@customer.example"}},
    }


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(_MESSAGE_FIELDS), value=_JSON, whole=st.booleans())
def test_a_graph_message_with_any_field_hostile_fails_only_as_unreadable(
    field: str, value: object, whole: bool
) -> None:
    raw = {**_sound_message(), field: value}
    try:
        parsed = parse_message(raw, direction=Direction.RECEIVED, previous=None, whole=whole)
    except UNREADABLE:
        return  # the connector quarantines exactly this item
    if parsed is not None:
        check_item(parsed, now=NOW)  # never raises: it decides


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(_EVENT_FIELDS), value=_JSON, whole=st.booleans())
def test_a_graph_event_with_any_field_hostile_fails_only_as_unreadable(
    field: str, value: object, whole: bool
) -> None:
    raw = {**_sound_event(), field: value}
    try:
        parsed = parse_event(raw, previous=None, whole=whole)
    except UNREADABLE:
        return
    if parsed is not None:
        check_item(parsed, now=NOW)
