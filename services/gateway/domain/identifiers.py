"""The shapes of identifiers the public API accepts; anything else is a 400/422 / INVALID_ARGUMENT.

They are the platform's shared contract (`plumbing/contracts/identifiers.py`), so what the gateway
accepts is what capture and scoring accept; this module names them for the gateway's layers.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plumbing.contracts.identifiers import (
    CLIENT_ID_PATTERN,
    CONNECTION_ID_PATTERN,
    DOMAIN_PATTERN,
    EMAIL_PATTERN,
    GUID_PATTERN,
    ISO_DATE_PATTERN,
    MAX_DOMAIN_CHARS,
    MAX_EMAIL_CHARS,
    REP_ID_PATTERN,
    ROLE_PATTERN,
    SUBSCRIPTION_PATTERN,
    TEAM_ID_PATTERN,
    TENANT_ID_PATTERN,
    is_client_id,
    is_connection_id,
    is_domain,
    is_email,
    is_guid,
    is_iso_date,
    is_rep_id,
    is_role,
    is_subscription,
    is_team_id,
    is_tenant_id,
)

__all__ = [
    "CLIENT_ID_PATTERN",
    "CONNECTION_ID_PATTERN",
    "DOMAIN_PATTERN",
    "EMAIL_PATTERN",
    "GUID_PATTERN",
    "ISO_DATE_PATTERN",
    "MAX_DOMAIN_CHARS",
    "MAX_EMAIL_CHARS",
    "REP_ID_PATTERN",
    "ROLE_PATTERN",
    "SUBSCRIPTION_PATTERN",
    "TEAM_ID_PATTERN",
    "TENANT_ID_PATTERN",
    "is_client_id",
    "is_connection_id",
    "is_domain",
    "is_email",
    "is_guid",
    "is_iso_date",
    "is_rep_id",
    "is_role",
    "is_subscription",
    "is_team_id",
    "is_tenant_id",
    "is_time_zone",
]


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
