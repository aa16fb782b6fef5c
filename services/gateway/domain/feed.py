"""The write-back feed's cursors: opaque to clients, a position in the tenant's feed to us.

A cursor names the last item a page delivered (its `feed_sequence`). Reading after a cursor never
repeats it; acknowledging a cursor stores it as the subscription's resume point. Acks only move
forward, so a late or repeated ack never rewinds a subscription.
"""

from __future__ import annotations

import base64
import binascii

from services.gateway.errors import InvalidRequest

_PREFIX = "feed:"
START = 0


def encode_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{sequence}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError(raw)
        sequence = int(raw.removeprefix(_PREFIX))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"cursor {cursor[:80]!r} is not a cursor this API issued") from exc
    if sequence < 0 or sequence >= 2**63:
        raise InvalidRequest(f"cursor {cursor[:80]!r} is out of range")
    return sequence


def next_position(after: int, last_sequence: int, item_sequences: list[int]) -> int:
    """Where the next page starts: never behind `after`, past every delivered item."""
    return max([after, last_sequence, *item_sequences])
