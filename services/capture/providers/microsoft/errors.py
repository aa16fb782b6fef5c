"""Graph answers → the engine's faults (PROVIDERS.md §1, §4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.capture.domain.backoff import parse_retry_after
from services.capture.domain.faults import (
    AccessRevoked,
    CursorExpired,
    ProviderRejected,
    SyncFault,
    Throttled,
    Unavailable,
)

_RESYNC_CODES = {"syncstatenotfound", "resyncrequired", "syncstateinvalid"}
_RETRY_STATUSES = {500, 502, 503, 504, 509}


def error_code(body: bytes) -> tuple[str, str]:
    """(code, message) of a Graph error body; empty strings when it has none."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return "", ""
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict):
        return str(error.get("code", "")), str(error.get("message", ""))[:200]
    return "", ""


def classify(
    status: int, body: bytes, retry_after: str | None, *, now: datetime | None = None
) -> SyncFault | None:
    """None for success; otherwise the fault the engine should act on."""
    if 200 <= status < 300:
        return None
    code, message = error_code(body)
    wait = parse_retry_after(retry_after, now=now or datetime.now(UTC))
    described = f"HTTP {status} {code}: {message}".strip()
    if status == 429:
        return Throttled(described, retry_after_sec=wait)
    if status == 410 or (status in (400, 404) and code.lower() in _RESYNC_CODES):
        return CursorExpired(described)
    if status in _RETRY_STATUSES:
        return Unavailable(described, retry_after_sec=wait)
    if status in (401, 403):
        return AccessRevoked(described)
    return ProviderRejected(described)
