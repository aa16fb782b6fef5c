"""Shapes of what the admin API accepts. Each checker returns the normalized value or raises
`Invalid` with a message that says what was wrong (mapped to INVALID_ARGUMENT)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

# The shapes every service accepts, the gateway's public API first (plumbing/contracts).
from plumbing.contracts import identifiers as ids

_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")
MAX_LIST = 1000
MAX_MAILBOXES_PER_CALL = 5000


class Invalid(ValueError):
    pass


def tenant_id(value: str) -> str:
    if not ids.is_tenant_id(value):
        raise Invalid("tenant_id is required: letters, digits, '_', '.', '-' (at most 64)")
    return value


def rep_id(value: str, field: str = "rep_id") -> str:
    if not ids.is_rep_id(value):
        raise Invalid(f"{field} is required: letters, digits and _.@+- (at most 128)")
    return value


def connection_id(value: str) -> str:
    if not ids.is_connection_id(value):
        raise Invalid("connection_id: letters, digits, '_', '.', '-' (at most 64)")
    return value


def domain(value: str, field: str = "domain") -> str:
    normalized = value.strip().lower().lstrip("@").rstrip(".")
    if not ids.is_domain(normalized):
        raise Invalid(f"{field}: {value!r} is not a domain name")
    return normalized


def address(value: str, field: str = "address") -> str:
    normalized = value.strip().lower()
    if not ids.is_email(normalized):
        raise Invalid(f"{field}: {value!r} is not an e-mail address")
    return normalized


def mailbox_address(value: str) -> str:
    """A UPN / e-mail address, or (Microsoft) a user's object id."""
    normalized = value.strip().lower()
    if ids.is_guid(normalized):
        return normalized
    return address(value, "mailboxes.address")


def directory_tenant_id(value: str) -> str:
    normalized = value.strip().lower()
    if ids.is_guid(normalized) or ids.is_domain(normalized):
        return normalized
    raise Invalid("directory_tenant_id must be the Entra tenant's GUID or its domain name")


def client_id(value: str) -> str:
    if not ids.is_client_id(value.strip()):
        raise Invalid("client_id is required (the app registration's application id)")
    return value.strip()


def thumbprint(value: str) -> str:
    if not _THUMBPRINT.match(value.strip()):
        raise Invalid("certificate.thumbprint must be the SHA-1 thumbprint as 40 hex digits")
    return value.strip().upper()


def bounded(values: Iterable[str], field: str) -> list[str]:
    items = list(values)
    if len(items) > MAX_LIST:
        raise Invalid(f"{field}: at most {MAX_LIST} entries")
    return items


def domains(values: Iterable[str], field: str) -> list[str]:
    return sorted({domain(v, field) for v in bounded(values, field)})


def addresses(values: Iterable[str], field: str) -> list[str]:
    return sorted({address(v, field) for v in bounded(values, field)})


_SERVICE_ACCOUNT_FIELDS = ("type", "client_email", "private_key", "token_uri")


def service_account_key(raw: str) -> dict[str, str]:
    """A Google service-account key file: JSON with the fields google-auth needs to sign as it."""
    if len(raw) > 20_000:
        raise Invalid("service_account_key_json is too large to be a key file")
    try:
        key = json.loads(raw)
    except ValueError as exc:
        raise Invalid("service_account_key_json is not JSON") from exc
    if not isinstance(key, dict):
        raise Invalid("service_account_key_json must be a JSON object")
    missing = [f for f in _SERVICE_ACCOUNT_FIELDS if not isinstance(key.get(f), str) or not key[f]]
    if missing:
        raise Invalid(f"service_account_key_json lacks {', '.join(missing)}")
    if key["type"] != "service_account":
        raise Invalid('service_account_key_json: "type" must be "service_account"')
    if "-----BEGIN PRIVATE KEY-----" not in key["private_key"]:
        raise Invalid("service_account_key_json: private_key is not a PEM private key")
    address(key["client_email"], "service_account_key_json.client_email")
    if not str(key["token_uri"]).startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise Invalid("service_account_key_json: token_uri must be an https URL")
    return {k: str(v) for k, v in key.items() if isinstance(v, str)}
