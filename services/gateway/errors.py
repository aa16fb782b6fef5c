"""Errors the gateway's operations raise; REST and gRPC each map them to their own status.

Every message is safe to show to the caller: it says what was wrong, never what another tenant has.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base class; the message is safe to show to the caller."""


class InvalidRequest(GatewayError):
    """The request is malformed or breaks a rule (REST 400, gRPC INVALID_ARGUMENT)."""


class NotFound(GatewayError):
    """Nothing by that id in the caller's tenant (REST 404, gRPC NOT_FOUND)."""


class Unauthenticated(GatewayError):
    """No API key, a malformed one, or one that is unknown or revoked (401, UNAUTHENTICATED)."""


class PermissionDenied(GatewayError):
    """The key is valid but its role or scope does not allow this (403, PERMISSION_DENIED)."""


class Conflict(GatewayError):
    """The request collides with the current state; re-read and retry (409, ABORTED)."""


class IdempotencyKeyReused(GatewayError):
    """The Idempotency-Key was used before with a different request (422, INVALID_ARGUMENT)."""


class RateLimited(GatewayError):
    """The key spent its request budget (429 with Retry-After, RESOURCE_EXHAUSTED)."""

    def __init__(self, retry_after_sec: float) -> None:
        super().__init__(f"rate limit exceeded; retry after {retry_after_sec:.1f}s")
        self.retry_after_sec = retry_after_sec


class UpstreamUnavailable(GatewayError):
    """A backing service did not answer; the caller may retry (503, UNAVAILABLE)."""
