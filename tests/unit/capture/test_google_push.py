"""Gmail Pub/Sub envelopes and Calendar channel notifications."""

from __future__ import annotations

import base64
import json

import pytest

from services.capture.providers.google.push import (
    PushParseError,
    channel_token_matches,
    parse_calendar_push,
    parse_pubsub_push,
)


def envelope(data: bytes, *, urlsafe: bool) -> bytes:
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()
    return json.dumps(
        {
            "message": {
                "data": encoded,
                "messageId": "2070443601311540",
                "publishTime": "2021-02-26T19:13:55.749Z",
            },
            "subscription": "projects/p/subscriptions/s",
        }
    ).encode()


# "~~>" encodes to characters that differ between base64 alphabets, so both paths are exercised.
@pytest.mark.parametrize(
    ("notice", "urlsafe"),
    [
        pytest.param(
            {"emailAddress": "Ana@acme.example", "historyId": "9876543210", "x": "~~>"},
            True,
            id="documented: string, base64url",
        ),
        pytest.param(
            {"emailAddress": "ana@acme.example", "historyId": 9876543210, "x": "~~>"},
            False,
            id="observed: number, base64",
        ),
    ],
)
def test_gmail_push(notice: dict[str, object], urlsafe: bool) -> None:
    push = parse_pubsub_push(envelope(json.dumps(notice).encode(), urlsafe=urlsafe))
    assert (push.email_address, push.history_id) == ("ana@acme.example", 9876543210)
    assert push.message_id == "2070443601311540"
    assert push.subscription == "projects/p/subscriptions/s"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"not json", id="not json"),
        pytest.param(b"{}", id="no message"),
        pytest.param(json.dumps({"message": {"data": "@@@"}}).encode(), id="bad base64"),
        pytest.param(envelope(b'{"emailAddress": "a@x.example"}', urlsafe=True), id="no historyId"),
        pytest.param(
            envelope(b'{"emailAddress": "a@x.example", "historyId": "abc"}', urlsafe=True),
            id="historyId not a number",
        ),
    ],
)
def test_gmail_push_rejects(body: bytes) -> None:
    with pytest.raises(PushParseError):
        parse_pubsub_push(body)


def test_calendar_push() -> None:
    push = parse_calendar_push(
        {
            "x-goog-channel-id": "chan-1",
            "X-Goog-Channel-Token": "secret",
            "X-Goog-Resource-ID": "res-1",
            "X-Goog-Resource-URI": "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json",
            "X-Goog-Resource-State": "sync",
            "X-Goog-Message-Number": "1",
        }
    )
    assert (push.channel_id, push.token, push.resource_id, push.state, push.message_number) == (
        "chan-1",
        "secret",
        "res-1",
        "sync",
        1,
    )
    assert not push.is_change


def test_calendar_push_without_token_is_a_change() -> None:
    push = parse_calendar_push(
        {"X-Goog-Channel-ID": "c", "X-Goog-Resource-ID": "r", "X-Goog-Resource-State": "exists"}
    )
    assert push.token is None and push.is_change


def test_calendar_push_rejects_missing_headers() -> None:
    with pytest.raises(PushParseError):
        parse_calendar_push({"X-Goog-Channel-ID": "c"})


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        pytest.param("secret", True, id="same"),
        pytest.param("Secret", False, id="different"),
        pytest.param(None, False, id="absent"),
    ],
)
def test_channel_token(received: str | None, expected: bool) -> None:
    assert channel_token_matches("secret", received) is expected
