"""Encryption at rest for provider secrets (client secrets, certificate keys, service-account keys,
subscription client states): Fernet (AES-128-CBC + HMAC-SHA256) with rotatable keys."""

from __future__ import annotations

import json
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from services.capture.ports import SecretsUnavailable


class SecretBox:
    """`SecretSealer` (ports/secrets.py) and its inverse: seals small JSON documents. The first key
    encrypts; every key decrypts (rotation). Both directions raise `SecretsUnavailable` without a key
    (or, opening, when the document was sealed with a key that is not configured)."""

    def __init__(self, keys: SecretStr | None) -> None:
        raw = [k.strip() for k in (keys.get_secret_value() if keys else "").split(",") if k.strip()]
        try:
            self._fernet: MultiFernet | None = MultiFernet([Fernet(k) for k in raw]) if raw else None
        except (ValueError, TypeError) as exc:
            raise ValueError("GT_CAPTURE_SECRET_KEYS must hold url-safe base64 Fernet keys") from exc

    @property
    def available(self) -> bool:
        return self._fernet is not None

    def seal(self, document: Mapping[str, str]) -> bytes:
        if self._fernet is None:
            raise SecretsUnavailable("GT_CAPTURE_SECRET_KEYS is not set; secrets cannot be stored")
        return self._fernet.encrypt(json.dumps(dict(document), sort_keys=True).encode())

    def open(self, token: bytes) -> dict[str, str]:
        if self._fernet is None:
            raise SecretsUnavailable("GT_CAPTURE_SECRET_KEYS is not set; stored secrets cannot be read")
        try:
            document = json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise SecretsUnavailable("a stored secret was sealed with a key that is not configured") from exc
        return {str(k): str(v) for k, v in document.items()}


def new_key() -> str:
    return Fernet.generate_key().decode()
