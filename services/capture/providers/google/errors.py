"""What a failed Google call means for the mailbox: back off, resync, stop, retry or give up.

`classify_response` is pure (status, body, headers); `classify_exception` maps the SDKs' exception
types onto it without doing any I/O.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError


class ErrorClass(StrEnum):
    THROTTLED = "throttled"  # back off this user (and only this user), then retry
    CURSOR_EXPIRED = "cursor_expired"  # historyId 404, syncToken 410, stale page token: full resync
    UNAUTHORIZED = "unauthorized"  # delegation revoked, key or scopes wrong, API disabled: admin action
    NOT_FOUND = "not_found"  # the item is gone (deleted between listing and reading it)
    TRANSIENT = "transient"  # 5xx, timeouts, connection errors: retry soon
    PERMANENT = "permanent"  # a request Google will never accept: surface it, do not loop


class Operation(StrEnum):
    GMAIL_PROFILE = "gmail.users.getProfile"
    GMAIL_LIST = "gmail.users.messages.list"
    GMAIL_GET = "gmail.users.messages.get"
    GMAIL_HISTORY = "gmail.users.history.list"
    GMAIL_WATCH = "gmail.users.watch"
    GMAIL_STOP = "gmail.users.stop"
    CALENDAR_LIST = "calendar.events.list"
    CALENDAR_WATCH = "calendar.events.watch"
    CALENDAR_STOP = "calendar.channels.stop"


@dataclass(frozen=True)
class GoogleFailure:
    error_class: ErrorClass
    status: int | None  # HTTP status, None for transport or token errors
    reason: str  # Google's `errors[0].reason` or the OAuth `error` code
    message: str
    retry_after_sec: float | None = None


_THROTTLE_REASONS = frozenset(
    {
        "userRateLimitExceeded",
        "rateLimitExceeded",
        "quotaExceeded",
        "dailyLimitExceeded",
        "concurrentLimitExceeded",
    }
)
_AUTH_REASONS = frozenset(
    {
        "insufficientPermissions",
        "forbidden",
        "accessNotConfigured",
        "domainPolicy",
        "authError",
        "appNotAuthorizedToFile",
    }
)
_CURSOR_LOCATIONS = frozenset({"syncToken", "pageToken", "startHistoryId"})
_OAUTH_AUTH_ERRORS = frozenset(
    {"unauthorized_client", "invalid_grant", "invalid_client", "access_denied", "invalid_scope"}
)
_RETRY_AFTER_TEXT = re.compile(r"Retry after (\d{4}-\d\d-\d\dT[\d:.]+Z)")


def _error_details(content: bytes) -> tuple[str, str, str | None]:
    """(reason, message, location) from Google's error body; tolerant of any shape."""
    try:
        data = json.loads(content.decode("utf-8", "replace"))
    except ValueError:
        return "", content.decode("utf-8", "replace")[:200], None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return "", str(error or data)[:200], None
    details = error.get("errors") or [{}]
    first = details[0] if isinstance(details, list) and details and isinstance(details[0], dict) else {}
    reason = str(first.get("reason") or error.get("status") or "")
    location = first.get("location")
    return reason, str(error.get("message", "")), str(location) if location else None


def _retry_after(message: str, headers: Mapping[str, Any] | None, now: datetime | None) -> float | None:
    if headers is not None:
        value = headers.get("retry-after") or headers.get("Retry-After")
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                pass
    match = _RETRY_AFTER_TEXT.search(message)
    if match:
        until = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        return max(0.0, (until - (now or datetime.now(UTC))).total_seconds())
    return None


def classify_response(
    operation: Operation,
    status: int,
    content: bytes,
    *,
    headers: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> GoogleFailure:
    reason, message, location = _error_details(content)

    def failure(error_class: ErrorClass, retry_after: float | None = None) -> GoogleFailure:
        return GoogleFailure(error_class, status, reason, message, retry_after)

    if status == 429 or (status == 403 and reason in _THROTTLE_REASONS):
        return failure(ErrorClass.THROTTLED, _retry_after(message, headers, now))
    if status in (401, 403):
        return failure(ErrorClass.UNAUTHORIZED)
    if status == 410 or (status == 404 and operation is Operation.GMAIL_HISTORY):
        return failure(ErrorClass.CURSOR_EXPIRED)
    if status == 400 and location in _CURSOR_LOCATIONS:
        return failure(ErrorClass.CURSOR_EXPIRED)  # a stored token Google no longer understands
    if status == 400 and reason == "failedPrecondition":
        return failure(ErrorClass.UNAUTHORIZED)  # e.g. the user has no Gmail service
    if status == 404:
        return failure(ErrorClass.NOT_FOUND)
    if status == 408 or status >= 500:
        return failure(ErrorClass.TRANSIENT, _retry_after(message, headers, now))
    return failure(ErrorClass.PERMANENT)


def classify_exception(operation: Operation, exc: BaseException) -> GoogleFailure:
    """Any exception out of `HttpRequest.execute` (including the credentials' token refresh)."""
    if isinstance(exc, HttpError):
        return classify_response(operation, int(exc.resp.status), exc.content, headers=exc.resp)
    if isinstance(exc, auth_exceptions.RefreshError):
        data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
        code = str(data.get("error", ""))
        description = str(data.get("error_description") or (exc.args[0] if exc.args else ""))
        if getattr(exc, "retryable", False):
            return GoogleFailure(ErrorClass.TRANSIENT, None, code or "refresh", description)
        if code in _OAUTH_AUTH_ERRORS or not code:
            return GoogleFailure(ErrorClass.UNAUTHORIZED, None, code or "refresh_failed", description)
        return GoogleFailure(ErrorClass.PERMANENT, None, code, description)
    if isinstance(
        exc, auth_exceptions.TransportError | httplib2.HttpLib2Error | http.client.HTTPException | OSError
    ):
        return GoogleFailure(ErrorClass.TRANSIENT, None, type(exc).__name__, str(exc))
    return GoogleFailure(ErrorClass.PERMANENT, None, type(exc).__name__, str(exc))
