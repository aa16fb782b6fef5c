"""The shapes of identifiers the public API accepts; anything else is a 400 / INVALID_ARGUMENT."""

from __future__ import annotations

import re

TENANT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# Rep ids are often CRM user ids or e-mail addresses.
REP_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$"

_TENANT_ID = re.compile(TENANT_ID_PATTERN)
_REP_ID = re.compile(REP_ID_PATTERN)


def is_tenant_id(value: str) -> bool:
    return bool(_TENANT_ID.match(value))


def is_rep_id(value: str) -> bool:
    return bool(_REP_ID.match(value))
