"""Feed cursors and page tokens: opaque to clients, signed by the gateway, bound to where they belong.

A feed cursor names a position in one tenant's write-back feed for one subscription. A page token
wraps the position scoring gave for the next page of one listing (a rep's activities, a team's
scores, ...). Both carry an HMAC-SHA256 (truncated to 128 bits) under the gateway's cursor key over
a purpose tag, the tenant, the subscription or listing, and the position. So a cursor made up by a
client, altered, taken from another tenant or subscription, or issued under another key is refused
(400 / INVALID_ARGUMENT) before it is read; and since the gateway signs only positions it served,
an ack can never move a subscription past what it was given.

Formats (base64url, no padding): `c1.` + 32 characters (8-byte position, 16-byte MAC) for feed
cursors; `p1.` + MAC and the upstream token for page tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from services.gateway.errors import InvalidRequest

FEED_CURSOR_PATTERN = r"^c1\.[A-Za-z0-9_-]{32}$"
PAGE_TOKEN_PATTERN = r"^p1\.[A-Za-z0-9_-]{22,700}$"
MAX_UPSTREAM_TOKEN_BYTES = 500
_MAC_BYTES = 16
_FEED = re.compile(FEED_CURSOR_PATTERN.removeprefix("^").removesuffix("$"))
_PAGE = re.compile(PAGE_TOKEN_PATTERN.removeprefix("^").removesuffix("$"))
# Derived from the API-key pepper when no cursor key is configured: another purpose, another key.
_DERIVATION_LABEL = b"groundtruth/gateway/cursor-signing-key/v1"


def derive_cursor_key(pepper: bytes) -> bytes:
    """The cursor key used when the settings name none: HMAC of a fixed label under the pepper."""
    return hmac.new(pepper, _DERIVATION_LABEL, hashlib.sha256).digest()


class CursorSigner:
    """Issues and verifies cursors and page tokens under one key. Pure; safe to share."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the cursor key must have at least 16 bytes")
        self._key = key

    def feed_cursor(self, *, tenant_id: str, subscription: str, sequence: int) -> str:
        """The cursor of `sequence` in the tenant's feed, for `subscription` only."""
        if not 0 <= sequence < 2**63:
            raise ValueError(f"feed position {sequence} is out of range")
        position = sequence.to_bytes(8, "big")
        mac = self._mac(b"feed", tenant_id, subscription, position)
        return "c1." + _b64(position + mac)

    def feed_position(self, cursor: str, *, tenant_id: str, subscription: str) -> int:
        """The position `cursor` names; `InvalidRequest` unless this gateway issued it to this
        tenant for this subscription."""
        if _FEED.fullmatch(cursor) is None:
            raise InvalidRequest("cursor is not a cursor this API issued")
        raw = _unb64(cursor[3:])
        position, mac = raw[:8], raw[8:]
        if not hmac.compare_digest(mac, self._mac(b"feed", tenant_id, subscription, position)):
            raise InvalidRequest("cursor was not issued for this subscription (or was altered)")
        sequence = int.from_bytes(position, "big")
        if sequence >= 2**63:
            raise InvalidRequest("cursor is out of range")
        return sequence

    def page_token(self, upstream: str, *, tenant_id: str, listing: str) -> str:
        """Wrap scoring's next-page token for one listing of one tenant ("" stays "": no next page)."""
        if not upstream:
            return ""
        data = upstream.encode()
        if len(data) > MAX_UPSTREAM_TOKEN_BYTES:
            raise ValueError("the upstream page token is too long to wrap")
        return "p1." + _b64(self._mac(b"page", tenant_id, listing, data) + data)

    def page_position(self, token: str, *, tenant_id: str, listing: str) -> str:
        """Scoring's token inside `token` ("" for none); `InvalidRequest` unless this gateway issued
        it for this listing (same rep, team and filters) of this tenant."""
        if not token:
            return ""
        if _PAGE.fullmatch(token) is None:
            raise InvalidRequest("page_token is not a page token this API issued")
        raw = _unb64(token[3:])
        mac, data = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
        if not data or not hmac.compare_digest(mac, self._mac(b"page", tenant_id, listing, data)):
            raise InvalidRequest("page_token was not issued for this listing (or was altered)")
        try:
            return data.decode()
        except UnicodeDecodeError as exc:  # only reachable with our own signature: a bug upstream
            raise InvalidRequest("page_token is not valid") from exc

    def _mac(self, purpose: bytes, tenant_id: str, scope: str, position: bytes) -> bytes:
        message = b"\x00".join((purpose, tenant_id.encode(), scope.encode(), position))
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest("the cursor or page token is malformed") from exc
