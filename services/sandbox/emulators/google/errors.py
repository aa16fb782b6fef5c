"""Google's error bodies, as the real APIs send them (see docs/capture-google.md for the sources)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# The canonical status names Gmail puts in `error.status`; Calendar's documented bodies carry none.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """A Gmail or Calendar API error, rendered as `{"error": {"code", "message", "errors": [...]}}`."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str | None = None,
        with_status_name: bool = True,
    ) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.with_status_name = with_status_name

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"message": self.message, "domain": self.domain, "reason": self.reason}
        if self.location is not None:
            detail["locationType"] = self.location_type or "parameter"
            detail["location"] = self.location
        error: dict[str, Any] = {"code": self.status, "message": self.message, "errors": [detail]}
        if self.with_status_name and self.status in _STATUS_NAMES:
            error["status"] = _STATUS_NAMES[self.status]
        return {"error": error}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


class OAuthError(Exception):
    """A token-endpoint error: `{"error": code, "error_description": text}` (RFC 6749 section 5.2)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "error_description": self.description}, status_code=self.status
        )


def bad_request(message: str, *, location: str | None = None, api: str = "gmail") -> ApiError:
    reason = "badRequest" if api == "gmail" else "invalid"
    return ApiError(400, reason, message, location=location, with_status_name=api == "gmail", domain="global")


def invalid_credentials() -> ApiError:
    # Documented 401 body (Gmail and Calendar "Resolve errors" guides).
    return ApiError(
        401,
        "authError",
        "Invalid Credentials",
        location="Authorization",
        location_type="header",
    )


def insufficient_scopes() -> ApiError:
    return ApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes.")


def user_rate_limit_exceeded(*, api: str) -> ApiError:
    return ApiError(
        403,
        "userRateLimitExceeded",
        "User Rate Limit Exceeded",
        domain="usageLimits",
        with_status_name=api == "gmail",
    )


def rate_limit_exceeded(status: int, *, api: str) -> ApiError:
    return ApiError(
        status,
        "rateLimitExceeded",
        "Rate Limit Exceeded",
        domain="usageLimits",
        with_status_name=api == "gmail",
    )


def server_error(status: int, *, api: str) -> ApiError:
    message = "Backend Error" if status == 500 else "The service is currently unavailable."
    return ApiError(status, "backendError", message, with_status_name=api == "gmail")


def not_found(message: str = "Requested entity was not found.", *, api: str = "gmail") -> ApiError:
    return ApiError(404, "notFound", message, with_status_name=api == "gmail")


def full_sync_required() -> ApiError:
    # PROVIDERS.md section 7, verified shape.
    return ApiError(
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        domain="calendar",
        location="syncToken",
        with_status_name=False,
    )
