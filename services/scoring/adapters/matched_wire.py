"""MatchedActivity wire bytes written straight from a stored feed row, for the relay's hot path.

The relay publishes every feed position once; building a `MatchedActivity` message per row (the
links decoded into dataclasses, a `Match`, two `Timestamp`s via `FromDatetime`) cost more CPU than
everything else the relay does. Here the row's columns become protobuf fields directly, in the exact
order and encoding protobuf's own serializer uses (field-number order, proto3 defaults left out), so
the bytes are identical to the message the feed's RPC builds (`pg_feed.matched_activity`) serialized
without its activity, followed by the stored Activity bytes as field 5, as the relay always wrote it
(tests/unit/scoring/test_matched_wire.py checks that against the message-building path).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, datetime

from services.scoring.domain.matching import NO_MATCH_REASON

_FIELD, _LINK = "\x1f", "\x1e"  # as domain/matching.py encode_links writes them
_CONTACT, _ACCOUNT, _OPPORTUNITY = "contact", "account", "opportunity"
_ZERO_DOUBLE = bytes(8)
_pack_double: Callable[[float], bytes] = struct.Struct("<d").pack
_UINT64 = (1 << 64) - 1
_SMALL = [bytes((i,)) for i in range(0x80)]  # the one-byte varints
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
_EVENT_ID, _TENANT_ID, _OCCURRED_AT, _OBSERVED_AT, _ACTIVITY = b"\x0a", b"\x12", b"\x1a", b"\x22", b"\x2a"
_CONTACT_ID, _ACCOUNT_ID, _OPPORTUNITY_ID, _CONFIDENCE, _REASON = b"\x32", b"\x3a", b"\x42", b"\x49", b"\x52"
_FEED_SEQUENCE, _LINKS = b"\x58", b"\x62"
_SECONDS, _NANOS = b"\x08", b"\x10"  # google.protobuf.Timestamp
_LINK_TYPE, _LINK_CRM_ID, _LINK_CONFIDENCE, _LINK_REASON = b"\x0a", b"\x12", b"\x19", b"\x22"


def varint(value: int) -> bytes:
    """A base-128 varint; a negative value as its 64-bit two's complement, as protobuf's int64."""
    if 0 <= value < 0x80:
        return _SMALL[value]
    if 0 < value < 1 << 35:  # seconds since the epoch until the year 3058: unrolled, no loop
        if value < 1 << 14:
            return bytes((value & 0x7F | 0x80, value >> 7))
        if value < 1 << 28:
            if value < 1 << 21:
                return bytes((value & 0x7F | 0x80, value >> 7 & 0x7F | 0x80, value >> 14))
            return bytes(
                (value & 0x7F | 0x80, value >> 7 & 0x7F | 0x80, value >> 14 & 0x7F | 0x80, value >> 21)
            )
        return bytes(
            (
                value & 0x7F | 0x80,
                value >> 7 & 0x7F | 0x80,
                value >> 14 & 0x7F | 0x80,
                value >> 21 & 0x7F | 0x80,
                value >> 28,
            )
        )
    value &= _UINT64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _delimited(tag: bytes, data: bytes) -> bytes:
    size = len(data)
    return tag + (_SMALL[size] if size < 0x80 else varint(size)) + data


def _string(tag: bytes, text: str) -> bytes:
    """A proto3 string field: nothing when empty (the default is never written)."""
    return _delimited(tag, text.encode()) if text else b""


def _double(tag: bytes, value: float) -> bytes:
    packed = _pack_double(value)
    return b"" if packed == _ZERO_DOUBLE else tag + packed  # -0.0 has a bit set: written, as protobuf does


def timestamp_field(tag: bytes, moment: datetime) -> bytes:
    """A set google.protobuf.Timestamp field (written even when it is the epoch, as a set message is),
    as `Timestamp.FromDatetime` fills it: whole seconds (floored) and the microseconds as nanos."""
    since = moment - _EPOCH
    seconds = since.days * 86_400 + since.seconds
    micros = since.microseconds
    body = _SECONDS + varint(seconds) if seconds else b""
    if micros:
        body += _NANOS + varint(micros * 1000)
    return tag + _SMALL[len(body)] + body  # at most 2 + 10 + 1 + 5 bytes


# One stored link: object type, crm id, confidence, reason, and its MatchLink field (12) written out.
_Link = tuple[str, str, float, str, bytes]


def _link(part: str) -> _Link:
    object_type, crm_id, confidence_text, reason = part.split(_FIELD, 3)
    confidence = float(confidence_text)
    body = (
        _string(_LINK_TYPE, object_type)
        + _string(_LINK_CRM_ID, crm_id)
        + _double(_LINK_CONFIDENCE, confidence)
        + _string(_LINK_REASON, reason)
    )
    return object_type, crm_id, confidence, reason, _delimited(_LINKS, body)


def match_fields(links_text: str, known: dict[str, _Link] | None = None) -> tuple[bytes, bytes]:
    """The match's fields from its stored links (`encode_links`): those before feed_sequence (6-10)
    and the links themselves (12), as `match_from_links` and `set_match` would fill them. `known`
    keeps each link's fields between calls (one contact's link recurs in many activities)."""
    if not links_text:
        return _string(_REASON, NO_MATCH_REASON), b""
    links = {} if known is None else known
    contacts: list[str] = []
    account: str | None = None  # the first link of its kind names it, as `match_from_links` reads
    opportunity: str | None = None
    confidence: float | None = None
    reasons: list[str] = []
    fields: list[bytes] = []
    for part in links_text.split(_LINK):
        link = links.get(part)
        if link is None:
            link = links[part] = _link(part)
        object_type, crm_id, value, reason, field = link
        if object_type == _CONTACT:
            contacts.append(crm_id)
        elif object_type == _ACCOUNT and account is None:
            account = crm_id
        elif object_type == _OPPORTUNITY and opportunity is None:
            opportunity = crm_id
        confidence = value if confidence is None else min(confidence, value)
        reasons.append(reason)
        fields.append(field)
    # A repeated field writes every element, empty ones too.
    head = b"".join(_delimited(_CONTACT_ID, c.encode()) for c in sorted(contacts)) if contacts else b""
    head += (
        _string(_ACCOUNT_ID, account or "")
        + _string(_OPPORTUNITY_ID, opportunity or "")
        + _double(_CONFIDENCE, 0.0 if confidence is None else confidence)
        + _string(_REASON, "; ".join(reasons))
    )
    return head, b"".join(fields)


class MatchFields:
    """`match_fields`, remembered: whole links texts (a rep's activities with the same people store
    the same links) and single links (a contact's link recurs across activities). Each memory holds
    up to `capacity` entries and then starts afresh, so it stays small whatever the feed holds."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._matches: dict[str, tuple[bytes, bytes]] = {}
        self._links: dict[str, _Link] = {}

    def __call__(self, links_text: str) -> tuple[bytes, bytes]:
        match = self._matches.get(links_text)
        if match is None:
            if len(self._matches) >= self._capacity:
                self._matches.clear()
            if len(self._links) >= self._capacity:
                self._links.clear()
            match = self._matches[links_text] = match_fields(links_text, self._links)
        return match


def observed_field(stored_at: datetime) -> bytes:
    """Field 4, when the row was stored."""
    return timestamp_field(_OBSERVED_AT, stored_at)


def tenant_field(tenant_id: str) -> bytes:
    """Field 2, the same for every row of a tenant's page: encoded once per page."""
    return _string(_TENANT_ID, tenant_id)


def matched_activity_value(
    *,
    event_id: str,
    tenant: bytes,
    occurred_at: datetime,
    observed: bytes,
    match: tuple[bytes, bytes],
    feed_sequence: int,
    activity: bytes,
) -> bytes:
    """The serialized MatchedActivity: `tenant` from `tenant_field`, `observed` from `observed_field`
    (the rows of one ingest batch share it), `match` from `match_fields`,
    `activity` the stored Activity bytes (spliced in unparsed as field 5, last, as the feed always
    wrote it: protobuf allows fields in any order)."""
    head, links = match
    return b"".join(
        (
            _string(_EVENT_ID, event_id),
            tenant,
            timestamp_field(_OCCURRED_AT, occurred_at),
            observed,
            head,
            _FEED_SEQUENCE + varint(feed_sequence) if feed_sequence else b"",
            links,
            _ACTIVITY,
            varint(len(activity)),
            activity,
        )
    )
