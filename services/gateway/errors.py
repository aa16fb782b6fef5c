"""Errors the gateway's handlers raise; REST and gRPC each map them to their own status."""

from __future__ import annotations


class GatewayError(Exception):
    """Base class; the message is safe to show to the caller."""


class InvalidRequest(GatewayError):
    pass


class NotFound(GatewayError):
    pass


class Unauthenticated(GatewayError):
    pass


class UpstreamUnavailable(GatewayError):
    """A backing service did not answer; the caller may retry."""
