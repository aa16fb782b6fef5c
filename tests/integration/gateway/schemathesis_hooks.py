"""schemathesis hooks for test_schemathesis.py (loaded by the schemathesis command line through
SCHEMATHESIS_HOOKS).

A schema cannot say which cursors and page tokens are valid: they carry the server's signature.
So a schema-valid request (positive case) gets what a real client holds: a feed cursor or page token
the gateway issued for exactly that tenant, subscription or listing (signed here with the test
gateways' key), and a fresh Idempotency-Key (a key reused with another body is rightly refused).
Nor can it say that customization debt's `since` must not be in the future (a 400): a schema-valid
request asks about a day up to today.
Negative cases are left as generated: a made-up cursor must be refused.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime
from typing import Any

import schemathesis

from tests.integration.platform import TEST_CURSORS

TENANT = os.environ.get("GT_TEST_TENANT", "globex")


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


def _listing(case: Any) -> str | None:
    """The listing a page token of this request must be signed for (services/gateway/operations/reads.py)."""
    query = case.query or {}
    if case.path == "/v1/reps/{rep_id}/activities":
        return f"activities\x00{case.path_parameters['rep_id']}"
    if case.path == "/v1/scores":
        return f"scores\x00{query.get('team_id') or ''}\x00{query.get('role') or ''}"
    if case.path == "/v1/opportunities":
        review = str(query.get("review_ready", "false")).lower() == "true"
        return (
            f"opportunities\x00{query.get('team_id') or ''}\x00{query.get('rep_id') or ''}\x00{int(review)}"
        )
    return None


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    del context
    # Framing headers are the HTTP client's business: a made-up Content-Length (an empty one) is
    # refused by the server's HTTP parser (uvicorn: a text/plain 400) before any route of the API runs.
    for headers in (case.headers, kwargs.get("headers")):
        if not headers:
            continue
        for name in [n for n in headers if n.lower() in ("content-length", "transfer-encoding")]:
            del headers[name]
    if not _positive(case):
        return
    headers = case.headers or {}
    if "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = f"st-{uuid.uuid4()}"
    query = case.query or {}
    if case.path == "/v1/feed" and query.get("cursor"):
        subscription = query.get("subscription") or "default"
        query["cursor"] = TEST_CURSORS.feed_cursor(tenant_id=TENANT, subscription=subscription, sequence=1)
    if case.path == "/v1/feed/ack" and isinstance(case.body, dict) and "cursor" in case.body:
        subscription = case.body.get("subscription") or "default"
        case.body["cursor"] = TEST_CURSORS.feed_cursor(
            tenant_id=TENANT, subscription=subscription, sequence=2
        )
    since = query.get("since")
    if case.path == "/v1/customization-debt" and isinstance(since, str) and _after_today(since):
        query["since"] = datetime.now(UTC).date().isoformat()
    listing = _listing(case)
    if listing is not None and query.get("page_token"):
        query["page_token"] = TEST_CURSORS.page_token("dXBzdHJlYW0", tenant_id=TENANT, listing=listing)


def _after_today(day: str) -> bool:
    try:
        return date.fromisoformat(day) > datetime.now(UTC).date()
    except ValueError:
        return False  # not a day: the schema says so, and the case is not positive
