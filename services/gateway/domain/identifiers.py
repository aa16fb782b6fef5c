"""The shapes of identifiers the public API accepts; anything else is a 400 / INVALID_ARGUMENT."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TENANT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# Rep ids are often CRM user ids or e-mail addresses.
REP_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$"
TEAM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
SUBSCRIPTION_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
CONNECTION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
DOMAIN_PATTERN = r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,253}$"
# A person's role in the tenant configuration (and a setting name): lower_snake_case.
ROLE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

_TENANT_ID = re.compile(TENANT_ID_PATTERN)
_REP_ID = re.compile(REP_ID_PATTERN)
_TEAM_ID = re.compile(TEAM_ID_PATTERN)
_SUBSCRIPTION = re.compile(SUBSCRIPTION_PATTERN)
_CONNECTION_ID = re.compile(CONNECTION_ID_PATTERN)
_DOMAIN = re.compile(DOMAIN_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)


def is_tenant_id(value: str) -> bool:
    return bool(_TENANT_ID.match(value))


def is_rep_id(value: str) -> bool:
    return bool(_REP_ID.match(value))


def is_team_id(value: str) -> bool:
    return bool(_TEAM_ID.match(value))


def is_subscription(value: str) -> bool:
    return bool(_SUBSCRIPTION.match(value))


def is_connection_id(value: str) -> bool:
    return bool(_CONNECTION_ID.match(value))


def is_domain(value: str) -> bool:
    return bool(_DOMAIN.match(value))


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


_TIME_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


def is_time_zone(value: str) -> bool:
    """An IANA time zone this machine knows ("Europe/Berlin", "UTC"). The name is checked for shape
    first, so no path-like input ever reaches the zone database."""
    if len(value) > 64 or not _TIME_ZONE.fullmatch(value):
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
