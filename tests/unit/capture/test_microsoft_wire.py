"""Graph wire details: error classification and merging partial updates (PROVIDERS.md §1, §2, §4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.capture.domain.faults import (
    AccessRevoked,
    CursorExpired,
    ProviderRejected,
    SyncFault,
    Throttled,
    Unavailable,
)
from services.capture.domain.items import Direction, Response, Sensitivity
from services.capture.providers.microsoft.errors import classify
from services.capture.providers.microsoft.parse import parse_event, parse_message


def body(code: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": "m"}}).encode()


@pytest.mark.parametrize(
    ("status", "payload", "retry_after", "fault", "wait"),
    [
        pytest.param(200, b"{}", None, None, None, id="success"),
        pytest.param(
            429, body("TooManyRequests"), "2.128", Throttled, 2.128, id="429 fractional Retry-After"
        ),
        pytest.param(429, body("ApplicationThrottled"), None, Throttled, None, id="429 without Retry-After"),
        pytest.param(410, body("SyncStateNotFound"), None, CursorExpired, None, id="410 SyncStateNotFound"),
        pytest.param(410, b"", None, CursorExpired, None, id="410 without body"),
        pytest.param(400, body("syncStateNotFound"), None, CursorExpired, None, id="400 syncStateNotFound"),
        pytest.param(400, body("resyncRequired"), None, CursorExpired, None, id="400 resyncRequired"),
        pytest.param(503, body("ServiceUnavailable"), "1", Unavailable, 1.0, id="503 with Retry-After"),
        pytest.param(504, b"<html>", None, Unavailable, None, id="504 gateway timeout"),
        pytest.param(509, b"", None, Unavailable, None, id="509 bandwidth"),
        pytest.param(401, body("InvalidAuthenticationToken"), None, AccessRevoked, None, id="401"),
        pytest.param(403, body("ErrorAccessDenied"), None, AccessRevoked, None, id="403 access denied"),
        pytest.param(404, body("ErrorInvalidUser"), None, ProviderRejected, None, id="404 unknown mailbox"),
        pytest.param(400, body("BadRequest"), None, ProviderRejected, None, id="other 400"),
    ],
)
def test_classify(
    status: int, payload: bytes, retry_after: str | None, fault: type[SyncFault] | None, wait: float | None
) -> None:
    result = classify(status, payload, retry_after, now=datetime(2026, 1, 1, tzinfo=UTC))
    if fault is None:
        assert result is None
        return
    assert isinstance(result, fault)
    if isinstance(result, Throttled | Unavailable):
        assert result.retry_after_sec == wait


FULL_MESSAGE = {
    "id": "m1",
    "subject": "Pricing",
    "from": {"emailAddress": {"name": "Buyer", "address": "Buyer@Customer.example"}},
    "toRecipients": [{"emailAddress": {"name": "Ann", "address": "ann@acme.example"}}],
    "ccRecipients": [],
    "sentDateTime": "2026-11-02T09:00:00Z",
    "receivedDateTime": "2026-11-02T09:00:02Z",
    "lastModifiedDateTime": "2026-11-02T09:00:02Z",
    "internetMessageId": "<m1@customer.example>",
    "conversationId": "c1",
    "isDraft": False,
    "body": {"content": "secret body"},
}


def test_a_full_message_parses_and_never_reads_the_body() -> None:
    item = parse_message(FULL_MESSAGE, direction=Direction.RECEIVED, previous=None)
    assert item is not None
    assert item.sender is not None and item.sender.address == "buyer@customer.example"
    assert item.occurred_at == datetime(2026, 11, 2, 9, 0, 2, tzinfo=UTC)
    assert "secret body" not in repr(item)
    sent = parse_message(FULL_MESSAGE, direction=Direction.SENT, previous=None)
    assert sent is not None and sent.occurred_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_a_partial_update_merges_into_the_last_full_view() -> None:
    previous = parse_message(FULL_MESSAGE, direction=Direction.RECEIVED, previous=None)
    partial = {
        "id": "m1",
        "lastModifiedDateTime": "2026-11-03T10:00:00Z",
        "ccRecipients": [{"emailAddress": {"address": "cfo@customer.example"}}],
    }
    assert parse_message(partial, direction=Direction.RECEIVED, previous=None) is None  # cannot be completed
    merged = parse_message(partial, direction=Direction.RECEIVED, previous=previous)
    assert merged is not None and previous is not None
    assert [p.address for p in merged.cc] == ["cfo@customer.example"]
    assert merged.sender == previous.sender and merged.subject == "Pricing"
    assert merged.modified_at == datetime(2026, 11, 3, 10, tzinfo=UTC)


def test_events_in_graph_shape() -> None:
    raw = {
        "id": "e1",
        "start": {"dateTime": "2026-11-05T14:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-11-05T15:00:00.0000000", "timeZone": "Europe/Paris"},
        "lastModifiedDateTime": "2026-11-01T00:00:00Z",
        "organizer": {"emailAddress": {"address": "ann@acme.example"}},
        "attendees": [
            {
                "type": "required",
                "status": {"response": "TentativelyAccepted"},
                "emailAddress": {"address": "b@c.example"},
            },
            {
                "type": "resource",
                "status": {"response": "accepted"},
                "emailAddress": {"address": "room@acme.example"},
            },
        ],
        "sensitivity": "somethingNew",
        "isCancelled": True,
        "iCalUId": "uid",
        "seriesMasterId": "master",
    }
    event = parse_event(raw, previous=None)
    assert event is not None
    assert event.start == datetime(2026, 11, 5, 14, tzinfo=UTC)
    assert event.end == datetime(2026, 11, 5, 14, tzinfo=UTC)  # 15:00 in Paris in November
    assert [(a.response, a.is_resource) for a in event.attendees] == [
        (Response.TENTATIVE, False),
        (Response.ACCEPTED, True),
    ]
    assert event.sensitivity is Sensitivity.PRIVATE  # unknown sensitivity fails closed
    assert event.is_cancelled and event.series_id == "master"
    moved = parse_event(
        {"id": "e1", "start": {"dateTime": "2026-11-06T09:00:00", "timeZone": "UTC"}}, previous=event
    )
    assert moved is not None and moved.start.day == 6 and moved.organizer == event.organizer
