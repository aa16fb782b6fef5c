"""How the admin use cases protect a credential before it is stored. `adapters/secret_box.py`
implements it (Fernet, rotatable keys); the PostgreSQL sync store opens what it sealed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class SecretSealer(Protocol):
    def seal(self, document: Mapping[str, str]) -> bytes:
        """Encrypt a small document for storage. Pure CPU, never blocks; raises
        `ports.errors.SecretsUnavailable` when no key is configured (nothing is ever stored in clear)."""
        ...
