"""The shapes of identifiers and addresses every service accepts.

Each `*_PATTERN` is written for both Python's `re` and JSON Schema / Rust regex (no look-around), so
the gateway's OpenAPI document states exactly what the `is_*` checks here decide, and capture and
scoring check the same shapes. Checks match the whole value (`fullmatch`): a trailing newline is
not a valid id. Domains and addresses are compared lower-cased; their patterns accept either case.
"""

from __future__ import annotations

import re
from datetime import date

TENANT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# Rep ids are often CRM user ids or e-mail addresses.
REP_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$"
TEAM_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
SUBSCRIPTION_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
CONNECTION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# An application (client) id, or a directory tenant's id or primary domain, as Entra names them.
CLIENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LABEL = r"[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]"
DOMAIN_PATTERN = rf"^(?:{_LABEL}\.)+{_TOP_LABEL}$"
MAX_DOMAIN_CHARS = 253
_LOCAL_PART = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
EMAIL_PATTERN = rf"^{_LOCAL_PART}@(?:{_LABEL}\.)+{_TOP_LABEL}$"
MAX_EMAIL_CHARS = 320
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
GUID_PATTERN = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
# A person's role in the tenant configuration: lower_snake_case.
ROLE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


def _whole(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.removeprefix("^").removesuffix("$"))


_TENANT_ID = _whole(TENANT_ID_PATTERN)
_REP_ID = _whole(REP_ID_PATTERN)
_TEAM_ID = _whole(TEAM_ID_PATTERN)
_SUBSCRIPTION = _whole(SUBSCRIPTION_PATTERN)
_CONNECTION_ID = _whole(CONNECTION_ID_PATTERN)
_CLIENT_ID = _whole(CLIENT_ID_PATTERN)
_DOMAIN = _whole(DOMAIN_PATTERN)
_EMAIL = _whole(EMAIL_PATTERN)
_ISO_DATE = _whole(ISO_DATE_PATTERN)
_GUID = _whole(GUID_PATTERN)
_ROLE = _whole(ROLE_PATTERN)


def is_tenant_id(value: str) -> bool:
    return _TENANT_ID.fullmatch(value) is not None


def is_rep_id(value: str) -> bool:
    return _REP_ID.fullmatch(value) is not None


def is_team_id(value: str) -> bool:
    return _TEAM_ID.fullmatch(value) is not None


def is_subscription(value: str) -> bool:
    return _SUBSCRIPTION.fullmatch(value) is not None


def is_connection_id(value: str) -> bool:
    return _CONNECTION_ID.fullmatch(value) is not None


def is_client_id(value: str) -> bool:
    return _CLIENT_ID.fullmatch(value) is not None


def is_domain(value: str) -> bool:
    return len(value) <= MAX_DOMAIN_CHARS and _DOMAIN.fullmatch(value) is not None


def is_email(value: str) -> bool:
    return len(value) <= MAX_EMAIL_CHARS and _EMAIL.fullmatch(value) is not None


def is_guid(value: str) -> bool:
    return _GUID.fullmatch(value) is not None


def is_role(value: str) -> bool:
    return _ROLE.fullmatch(value) is not None


def is_iso_date(value: str) -> bool:
    """`yyyy-mm-dd` naming a day that exists (2026-02-30 does not)."""
    if _ISO_DATE.fullmatch(value) is None:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
