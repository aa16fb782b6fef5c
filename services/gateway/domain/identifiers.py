"""The shapes of identifiers the public API accepts; anything else is a 400/422 / INVALID_ARGUMENT.

They are the platform's shared contract (`plumbing/contracts/identifiers.py`), so what the gateway
accepts is what capture and scoring accept; this module names them for the gateway's layers.
"""

from __future__ import annotations

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
]
