"""API keys: their format, generation and how they are stored.

A key looks like `gt_<key id>_<secret>`: the key id (16 base32 characters) is public, shown in
listings and used to find the key's row; the secret (32 random bytes, base64url) is shown once at
creation and never stored.

Why a keyed hash (HMAC-SHA256 under a server-held pepper) and not a slow KDF (bcrypt, scrypt,
argon2): a slow KDF exists to make guessing a *low-entropy* secret (a password) expensive. Our
secrets carry 256 bits from the OS CSPRNG, so guessing is infeasible at any hash speed and a slow KDF
would add nothing but ~50-100 ms of CPU to every request. The HMAC key (pepper) lives outside the
database, so a leaked table alone cannot even be used to test a guess. The key id is inside the MAC,
so a stored hash cannot be moved to another key's row. Verification is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "gt_"
_KEY = re.compile(r"^gt_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$")
KEY_ID_PATTERN = r"^[a-z2-7]{16}$"
_KEY_ID = re.compile(KEY_ID_PATTERN)


@dataclass(frozen=True)
class PresentedKey:
    key_id: str
    secret: str


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: `plaintext` is handed to the caller once, `secret_hash` is stored."""

    key_id: str
    plaintext: str
    secret_hash: bytes


def parse(value: str) -> PresentedKey | None:
    """The key id and secret of a presented key, or None when it is not shaped like one of ours."""
    match = _KEY.match(value.strip())
    if match is None:
        return None
    return PresentedKey(key_id=match.group(1), secret=match.group(2))


def is_key_id(value: str) -> bool:
    return bool(_KEY_ID.match(value))


def hash_secret(pepper: bytes, key_id: str, secret: str) -> bytes:
    return hmac.new(pepper, f"{key_id}:{secret}".encode(), hashlib.sha256).digest()


def verify(pepper: bytes, presented: PresentedKey, stored_hash: bytes) -> bool:
    return hmac.compare_digest(hash_secret(pepper, presented.key_id, presented.secret), stored_hash)


def generate(pepper: bytes) -> NewKey:
    key_id = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    return NewKey(
        key_id=key_id,
        plaintext=f"{PREFIX}{key_id}_{secret}",
        secret_hash=hash_secret(pepper, key_id, secret),
    )
