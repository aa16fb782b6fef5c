"""Failed Google calls → what the mailbox must do."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import httplib2
import pytest
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from services.capture.providers.google.errors import (
    ErrorClass,
    Operation,
    classify_exception,
    classify_response,
)


def body(
    status: int, reason: str, message: str = "m", *, location: str | None = None, domain: str = "global"
) -> bytes:
    detail: dict[str, str] = {"domain": domain, "reason": reason, "message": message}
    if location:
        detail["location"] = location
        detail["locationType"] = "parameter"
    return json.dumps({"error": {"code": status, "message": message, "errors": [detail]}}).encode()


G, C = Operation.GMAIL_HISTORY, Operation.CALENDAR_LIST


@pytest.mark.parametrize(
    ("operation", "status", "content", "expected"),
    [
        pytest.param(
            G,
            403,
            body(403, "userRateLimitExceeded", domain="usageLimits"),
            ErrorClass.THROTTLED,
            id="403 userRateLimitExceeded",
        ),
        pytest.param(
            C,
            403,
            body(403, "rateLimitExceeded", domain="usageLimits"),
            ErrorClass.THROTTLED,
            id="403 rateLimitExceeded",
        ),
        pytest.param(
            C, 429, body(429, "rateLimitExceeded"), ErrorClass.THROTTLED, id="429 rateLimitExceeded"
        ),
        pytest.param(G, 429, b"Too Many Requests", ErrorClass.THROTTLED, id="429 without JSON"),
        pytest.param(
            G,
            404,
            body(404, "notFound", "Requested entity was not found."),
            ErrorClass.CURSOR_EXPIRED,
            id="history 404",
        ),
        pytest.param(
            C,
            410,
            body(410, "fullSyncRequired", location="syncToken", domain="calendar"),
            ErrorClass.CURSOR_EXPIRED,
            id="sync token 410",
        ),
        pytest.param(
            C,
            400,
            body(400, "invalid", "Invalid sync token value.", location="syncToken"),
            ErrorClass.CURSOR_EXPIRED,
            id="unreadable sync token",
        ),
        pytest.param(
            Operation.GMAIL_LIST,
            400,
            body(400, "invalidArgument", location="pageToken"),
            ErrorClass.CURSOR_EXPIRED,
            id="stale page token",
        ),
        pytest.param(
            Operation.GMAIL_GET, 404, body(404, "notFound"), ErrorClass.NOT_FOUND, id="message gone"
        ),
        pytest.param(
            Operation.CALENDAR_STOP, 404, body(404, "notFound"), ErrorClass.NOT_FOUND, id="channel gone"
        ),
        pytest.param(
            G,
            401,
            body(401, "authError", "Invalid Credentials", location="Authorization"),
            ErrorClass.UNAUTHORIZED,
            id="401 after refresh",
        ),
        pytest.param(
            G, 403, body(403, "insufficientPermissions"), ErrorClass.UNAUTHORIZED, id="scope missing"
        ),
        pytest.param(
            G,
            403,
            body(403, "accessNotConfigured", domain="usageLimits"),
            ErrorClass.UNAUTHORIZED,
            id="API disabled",
        ),
        pytest.param(
            G,
            400,
            body(400, "failedPrecondition", "Precondition check failed."),
            ErrorClass.UNAUTHORIZED,
            id="no Gmail for user",
        ),
        pytest.param(G, 500, body(500, "backendError"), ErrorClass.TRANSIENT, id="500"),
        pytest.param(C, 503, b"<html>unavailable</html>", ErrorClass.TRANSIENT, id="503 HTML"),
        pytest.param(G, 408, b"", ErrorClass.TRANSIENT, id="408"),
        pytest.param(
            C,
            400,
            body(400, "timeRangeEmpty", location="timeMax", domain="calendar"),
            ErrorClass.PERMANENT,
            id="bad request",
        ),
        pytest.param(G, 400, b"[1, 2]", ErrorClass.PERMANENT, id="odd JSON"),
    ],
)
def test_classify_response(operation: Operation, status: int, content: bytes, expected: ErrorClass) -> None:
    failure = classify_response(operation, status, content)
    assert failure.error_class is expected
    assert failure.status == status


def test_reason_and_message_are_kept() -> None:
    failure = classify_response(
        C, 410, body(410, "fullSyncRequired", "Sync token is no longer valid", location="syncToken")
    )
    assert (failure.reason, failure.message) == ("fullSyncRequired", "Sync token is no longer valid")


@pytest.mark.parametrize(
    ("message", "headers", "expected"),
    [
        pytest.param(
            "User-rate limit exceeded.  Retry after 2026-11-24T10:00:30.000Z",
            None,
            30.0,
            id="hint in message",
        ),
        pytest.param("Rate Limit Exceeded", {"retry-after": "2.5"}, 2.5, id="Retry-After header"),
        pytest.param(
            "Rate Limit Exceeded",
            {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"},
            None,
            id="HTTP-date ignored",
        ),
        pytest.param("Retry after 2026-11-24T09:00:00Z", None, 0.0, id="hint in the past"),
        pytest.param("Rate Limit Exceeded", None, None, id="no hint"),
    ],
)
def test_retry_after(message: str, headers: dict[str, str] | None, expected: float | None) -> None:
    now = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
    failure = classify_response(G, 429, body(429, "rateLimitExceeded", message), headers=headers, now=now)
    assert failure.retry_after_sec == expected


def refresh_error(*args: object, retryable: bool = False) -> auth_exceptions.RefreshError:
    return auth_exceptions.RefreshError(*args, retryable=retryable)  # type: ignore[no-untyped-call]


def transport_error(message: str) -> auth_exceptions.TransportError:
    return auth_exceptions.TransportError(message)  # type: ignore[no-untyped-call]


def http_error(status: int, content: bytes) -> HttpError:
    return HttpError(httplib2.Response({"status": status, "retry-after": "3"}), content, uri="http://x/y")


@pytest.mark.parametrize(
    ("exc", "expected", "reason"),
    [
        pytest.param(
            http_error(403, body(403, "userRateLimitExceeded")),
            ErrorClass.THROTTLED,
            "userRateLimitExceeded",
            id="HttpError",
        ),
        pytest.param(
            refresh_error(
                "unauthorized_client: Client is unauthorized",
                {"error": "unauthorized_client", "error_description": "Client is unauthorized"},
                retryable=False,
            ),
            ErrorClass.UNAUTHORIZED,
            "unauthorized_client",
            id="delegation revoked",
        ),
        pytest.param(
            refresh_error("invalid_grant: Invalid email or User ID", {"error": "invalid_grant"}),
            ErrorClass.UNAUTHORIZED,
            "invalid_grant",
            id="unknown user",
        ),
        pytest.param(
            refresh_error("server_error", {"error": "server_error"}, retryable=True),
            ErrorClass.TRANSIENT,
            "server_error",
            id="token endpoint retryable",
        ),
        pytest.param(
            refresh_error("No access token in response."),
            ErrorClass.UNAUTHORIZED,
            "refresh_failed",
            id="no token",
        ),
        pytest.param(
            transport_error("boom"),
            ErrorClass.TRANSIENT,
            "TransportError",
            id="auth transport",
        ),
        pytest.param(
            ConnectionRefusedError(111, "refused"),
            ErrorClass.TRANSIENT,
            "ConnectionRefusedError",
            id="connection refused",
        ),
        pytest.param(TimeoutError("timed out"), ErrorClass.TRANSIENT, "TimeoutError", id="timeout"),
        pytest.param(socket.gaierror(-2, "unknown host"), ErrorClass.TRANSIENT, "gaierror", id="DNS"),
        pytest.param(
            httplib2.ServerNotFoundError("no server"),
            ErrorClass.TRANSIENT,
            "ServerNotFoundError",
            id="httplib2",
        ),
        pytest.param(
            ValueError("URL-encoded content contains a repeated value"),
            ErrorClass.PERMANENT,
            "ValueError",
            id="library misuse",
        ),
    ],
)
def test_classify_exception(exc: BaseException, expected: ErrorClass, reason: str) -> None:
    failure = classify_exception(G, exc)
    assert (failure.error_class, failure.reason) == (expected, reason)


def test_http_error_headers_reach_the_hint() -> None:
    failure = classify_exception(G, http_error(429, body(429, "rateLimitExceeded")))
    assert failure.retry_after_sec == 3.0
