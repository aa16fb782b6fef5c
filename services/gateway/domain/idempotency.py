"""Idempotency-Key handling: what identifies "the same request" and what a stored answer is.

Same key and same request: the stored answer is returned and nothing is published again. Same key
and a different request: refused, so a client bug never silently drops data. Keys are scoped to the
tenant and the operation, and forgotten after the configured TTL (24 h by default).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def is_idempotency_key(value: str) -> bool:
    return bool(_KEY.match(value))


def fingerprint_json(value: Any) -> bytes:
    """A digest of a JSON request that ignores formatting and key order."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).digest()


def fingerprint_bytes(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


class Claim(Enum):
    """What claiming an Idempotency-Key found."""

    NEW = "new"  # the caller owns the key and must complete or release it
    REPLAY = "replay"  # the same request was answered before: `answer` is that answer
    MISMATCH = "mismatch"  # the key was used for a different request
    IN_FLIGHT = "in_flight"  # the same request is being processed right now


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    answer: StoredAnswer | None = None
