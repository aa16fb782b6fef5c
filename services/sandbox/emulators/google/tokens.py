"""Opaque page and sync tokens: base64url JSON, so they are stable, inspectable in tests, and forgeable
only in ways the emulator detects (a token that does not decode is a 400, as with Google)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


def encode_token(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    """The payload, or None when the token is not one of ours."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        return None
    return decoded if isinstance(decoded, dict) else None
