"""Opaque page tokens over a keyset position (time, id)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class InvalidPageToken(ValueError):
    """The token was not issued by us (or was tampered with)."""


def encode_page_token(occurred_at: datetime, item_id: str) -> str:
    micros = (occurred_at - _EPOCH) // _MICROSECOND
    return base64.urlsafe_b64encode(f"{micros}|{item_id}".encode()).decode().rstrip("=")


def decode_page_token(token: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        micros, item_id = raw.split("|", 1)
        return _EPOCH + int(micros) * _MICROSECOND, item_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidPageToken(f"page_token {token!r} is not valid") from exc
