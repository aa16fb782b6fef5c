"""Validation of identifiers shared by every operation (REST validates them again, earlier)."""

from __future__ import annotations

from services.gateway.domain import identifiers
from services.gateway.errors import InvalidRequest

MAX_PAGE_TOKEN_CHARS = 512


def rep_id(value: str, *, name: str = "rep_id") -> str:
    if not identifiers.is_rep_id(value):
        raise InvalidRequest(f"{name} is missing or not a valid rep id")
    return value


def optional_rep_id(value: str) -> str:
    return rep_id(value) if value else ""


def optional_team_id(value: str) -> str:
    if value and not identifiers.is_team_id(value):
        raise InvalidRequest("team_id is not a valid team id")
    return value


def optional_role(value: str) -> str:
    if value and not identifiers.is_role(value):
        raise InvalidRequest("role must be lower_snake_case, at most 64 characters (for example sdr)")
    return value


def page_token(value: str) -> str:
    if len(value) > MAX_PAGE_TOKEN_CHARS:
        raise InvalidRequest(f"page_token is longer than {MAX_PAGE_TOKEN_CHARS} characters")
    return value


def optional_date(value: str, *, name: str) -> str:
    if value and not identifiers.is_iso_date(value):
        raise InvalidRequest(f"{name} must be an ISO date (yyyy-mm-dd)")
    return value


def time_zone(value: str) -> str:
    """An IANA time zone name ("" for UTC); the zone must exist, so a typo is a 400, not UTC."""
    if value and not identifiers.is_time_zone(value):
        raise InvalidRequest("time_zone must be an IANA time zone such as Europe/Berlin")
    return value


def subscription(value: str) -> str:
    value = value or "default"
    if not identifiers.is_subscription(value):
        raise InvalidRequest("subscription must be 1-64 characters of a-z, 0-9, '_', '.', '-'")
    return value


def connection_id(value: str, *, required: bool = True) -> str:
    if not value and not required:
        return value
    if not identifiers.is_connection_id(value):
        raise InvalidRequest("connection_id is missing or not a valid connection id")
    return value


def email(value: str, *, name: str) -> str:
    value = value.strip().lower()
    if not identifiers.is_email(value):
        raise InvalidRequest(f"{name} {value[:80]!r} is not an e-mail address")
    return value


def domain(value: str, *, name: str) -> str:
    value = value.strip().lower()
    if not identifiers.is_domain(value):
        raise InvalidRequest(f"{name} {value[:80]!r} is not a domain")
    return value
