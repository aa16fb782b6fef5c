"""Webhook signing secrets sealed at rest (issue 19): the gateway seals a tenant's secret before the
configuration is stored or published; scoring opens it only to sign what it sends. Fernet
(AES-128-CBC + HMAC-SHA256) with rotatable keys, the way capture seals provider secrets
(`services/capture/adapters/secret_box.py`). The keys (comma-separated, the first seals, all open)
are the same in both services: `GT_GATEWAY_WEBHOOK_SECRET_KEYS`, `GT_SCORING_WEBHOOK_SECRET_KEYS`.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr


class SecretsUnavailable(RuntimeError):
    """No key is configured, or the secret was sealed with a key that is not configured."""


class SecretSeal:
    """Seals and opens short secrets. Pure CPU, never blocks; both directions raise
    `SecretsUnavailable` without a key (nothing is ever stored in clear for want of one)."""

    def __init__(self, keys: SecretStr | None, *, setting: str) -> None:
        raw = [k.strip() for k in (keys.get_secret_value() if keys else "").split(",") if k.strip()]
        self._setting = setting
        try:
            self._fernet: MultiFernet | None = MultiFernet([Fernet(k) for k in raw]) if raw else None
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{setting} must hold url-safe base64 Fernet keys") from exc

    @property
    def available(self) -> bool:
        return self._fernet is not None

    def seal(self, secret: str) -> bytes:
        if self._fernet is None:
            raise SecretsUnavailable(f"{self._setting} is not set; webhook secrets cannot be stored")
        return self._fernet.encrypt(secret.encode())

    def open(self, sealed: bytes) -> str:
        if self._fernet is None:
            raise SecretsUnavailable(f"{self._setting} is not set; sealed webhook secrets cannot be read")
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken as exc:
            raise SecretsUnavailable("a webhook secret was sealed with a key that is not configured") from exc


def new_key() -> str:
    return Fernet.generate_key().decode()
