"""Reading Google's push notifications. Pure: the HTTP endpoints that receive them are wired later.

Gmail arrives as a Pub/Sub push envelope whose `message.data` is base64 JSON
`{"emailAddress", "historyId"}`; the notification only wakes the mailbox: the stored checkpoint, not
this historyId, decides what to read. Calendar arrives as a bodiless POST whose `X-Goog-*` headers
name the channel; `sync` is the channel's hello and carries no change.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass


class PushParseError(ValueError):
    """A push request that is not what Google sends (answer it 2xx anyway, so it is not retried)."""


@dataclass(frozen=True)
class GmailPush:
    email_address: str
    history_id: int
    message_id: str
    subscription: str


@dataclass(frozen=True)
class CalendarPush:
    channel_id: str
    token: str | None
    resource_id: str
    resource_uri: str
    state: str  # sync, exists, not_exists
    message_number: int

    @property
    def is_change(self) -> bool:
        return self.state != "sync"


def parse_pubsub_push(body: bytes) -> GmailPush:
    try:
        envelope = json.loads(body)
        message = envelope["message"]
        data = str(message["data"])
        # Pub/Sub sends standard base64; Gmail's guide says base64url: accept both.
        raw = base64.b64decode(data.replace("-", "+").replace("_", "/") + "=" * (-len(data) % 4))
        notice = json.loads(raw)
        # Documented as a string, observed as a number: accept both.
        history_id = int(notice["historyId"])
        address = str(notice["emailAddress"]).lower()
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as exc:
        # RecursionError: JSON nested too deep for the decoder.
        raise PushParseError(f"not a Gmail Pub/Sub push: {exc!r}"[:300]) from exc
    message_id = str(message.get("messageId") or message.get("message_id") or "")
    return GmailPush(address, history_id, message_id, str(envelope.get("subscription", "")))


def parse_calendar_push(headers: Mapping[str, str]) -> CalendarPush:
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        return CalendarPush(
            channel_id=lower["x-goog-channel-id"],
            token=lower.get("x-goog-channel-token"),
            resource_id=lower["x-goog-resource-id"],
            resource_uri=lower.get("x-goog-resource-uri", ""),
            state=lower["x-goog-resource-state"],
            message_number=int(lower.get("x-goog-message-number", "0")),
        )
    except (KeyError, ValueError) as exc:
        raise PushParseError(f"not a Calendar push notification: {exc}") from exc


def channel_token_matches(expected: str, received: str | None) -> bool:
    """Constant-time comparison of the channel token we set with the one Google echoes."""
    return received is not None and hmac.compare_digest(expected.encode(), received.encode())
