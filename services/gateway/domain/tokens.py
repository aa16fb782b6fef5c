"""Short-lived bearer tokens: an API key exchanged for a signed token that carries the same principal.

Why: a web page should never keep the long-lived API key. It exchanges the key once
(`POST /v1/auth/token`) and keeps only the token, which expires on its own (15 minutes by default),
so a token lifted from a browser tab is worth little.

Format: `gtt_<payload>.<signature>`, both base64url without padding. The payload is compact JSON
(version, tenant, key id, role, rep, expiry in Unix seconds); the signature is HMAC-SHA256 under the
gateway's token signing key over the version tag and the encoded payload. Verification is
constant-time and checks the signature before reading the payload. The token names the key it came
from, so the authenticator can refuse it the moment that key is revoked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from services.gateway.domain.principal import Principal, Role

PREFIX = "gtt_"
_VERSION = 1
_SIGNED_PREFIX = b"gtt1."
_TOKEN = re.compile(r"^gtt_([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$")
# Derived from the API-key pepper when no signing key is configured: a different purpose, so a
# different key, even when both come from one secret.
_DERIVATION_LABEL = b"groundtruth/gateway/token-signing-key/v1"


class InvalidToken(ValueError):
    """The token is malformed, forged, signed with another key or expired; the message says which."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def derive_signing_key(pepper: bytes) -> bytes:
    """The signing key used when the settings name none: HMAC of a fixed label under the pepper."""
    return hmac.new(pepper, _DERIVATION_LABEL, hashlib.sha256).digest()


def looks_like_token(value: str) -> bool:
    return value.startswith(PREFIX)


def issue(signing_key: bytes, principal: Principal, *, now: datetime, ttl_sec: int) -> IssuedToken:
    """A token for `principal`, valid for `ttl_sec` from `now` (whole seconds)."""
    if ttl_sec <= 0:
        raise ValueError("ttl_sec must be positive")
    expires = int(now.timestamp()) + ttl_sec
    claims = {
        "v": _VERSION,
        "t": principal.tenant_id,
        "k": principal.key_id,
        "r": principal.role.value,
        "p": principal.rep_id,
        "exp": expires,
    }
    payload = _b64encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    token = f"{PREFIX}{payload}.{_b64encode(_sign(signing_key, payload))}"
    return IssuedToken(token=token, expires_at=datetime.fromtimestamp(expires, UTC))


def verify(signing_key: bytes, token: str, *, now: datetime) -> Principal:
    """The principal a token carries; raises `InvalidToken` unless it is ours, intact and unexpired."""
    match = _TOKEN.match(token.strip())
    if match is None:
        raise InvalidToken("the token is malformed")
    payload, signature = match.group(1), match.group(2)
    if not hmac.compare_digest(_sign(signing_key, payload), _b64decode(signature)):
        raise InvalidToken("the token's signature is not valid")
    try:
        claims = json.loads(_b64decode(payload))
        if not isinstance(claims, dict) or claims.get("v") != _VERSION:
            raise InvalidToken("the token's version is not supported")
        expires = claims["exp"]
        principal = Principal(
            tenant_id=_text(claims["t"]),
            key_id=_text(claims["k"]),
            role=Role(claims["r"]),
            rep_id=None if claims["p"] is None else _text(claims["p"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, InvalidToken):
            raise
        # Only reachable with a valid signature, i.e. a token we signed in a shape we no longer read.
        raise InvalidToken("the token's content is not valid") from exc
    if not isinstance(expires, int) or expires <= now.timestamp():
        raise InvalidToken("the token has expired; exchange the API key for a new one")
    return principal


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _sign(signing_key: bytes, payload: str) -> bytes:
    return hmac.new(signing_key, _SIGNED_PREFIX + payload.encode(), hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("the token is malformed") from exc
