"""The ports the admin operations use, bundled once."""

from __future__ import annotations

from dataclasses import dataclass

from services.capture.ports import AdminStore, SecretSealer, SyncControl


@dataclass(frozen=True)
class AdminPorts:
    """Everything an admin operation may use. Built once by `wiring.py`; owned by the running service.

    `store` holds the admin's objects, `secrets` seals credentials before they are stored, and `sync`
    is the running engine, told after every change so capture follows it at once.
    """

    store: AdminStore
    secrets: SecretSealer
    sync: SyncControl
