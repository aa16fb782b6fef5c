"""How provider emulators plug into the runner (`python -m services.sandbox.emulators`).

An emulator module calls `register(name, factory)` at import; the runner imports the modules listed
in `EMULATOR_MODULES`, builds each registered emulator from the shared `EmulatorOptions`, starts them,
mounts each one's control routes under `/<name>` on one plain-HTTP control server, and prints a JSON
line describing every endpoint. The Google emulator registers itself next to the Microsoft one by
adding its module to `EMULATOR_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from starlette.routing import BaseRoute

from services.sandbox.emulators.tls import TlsFiles

EMULATOR_MODULES = (
    "services.sandbox.emulators.microsoft.runner",
    "services.sandbox.emulators.google.runner",
)
# Profiles whose organisation comes from elsewhere in the sandbox: the module registers, at import,
# the seed of each emulator for that profile (`register_seed`). The emulators never import it: the
# data flows in through here, so the emulators stay independent of the demo that uses them.
PROFILE_MODULES = {"demo": "services.sandbox.demo.adapters.emulators"}


@dataclass(frozen=True)
class EmulatorOptions:
    """What every emulator is built from; `profile` picks the seeded organisation."""

    tls: TlsFiles
    host: str = "127.0.0.1"
    # "demo" (the demo organisation, services/sandbox/demo); "seeded" (a generic organisation of `mailboxes`
    # with internal-only and private items among the customer ones); "bench" (customer items only);
    # "empty".
    profile: str = "demo"
    mailboxes: int = 3
    items_per_mailbox: int = 24
    seed: int = 7
    ports: dict[str, int] = field(default_factory=dict)  # provider-facing port per emulator name
    state_dir: Path = Path(".")
    today: date | None = None  # the demo's "today" (None: the current UTC date)


class Emulator(Protocol):
    """A running provider emulator.

    `start()` binds its provider-facing server(s) and returns when they accept connections; `stop()`
    closes them. `describe()` is printed by the runner (endpoints, credentials of the seeded org) and
    must be JSON-serializable. `control_routes()` is mounted under `/<name>` on the control server.
    """

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def describe(self) -> dict[str, object]: ...

    def control_routes(self) -> list[BaseRoute]: ...


EmulatorFactory = Callable[[EmulatorOptions], Emulator]
_REGISTRY: dict[str, EmulatorFactory] = {}


def register(name: str, factory: EmulatorFactory) -> None:
    _REGISTRY[name] = factory


def registered() -> dict[str, EmulatorFactory]:
    return dict(_REGISTRY)


# What a profile module registers per emulator: the emulator's own seed callable (each emulator
# module states its signature and calls it); keyed (emulator name, profile).
_SEEDS: dict[tuple[str, str], object] = {}


def register_seed(emulator: str, profile: str, seed: object) -> None:
    _SEEDS[(emulator, profile)] = seed


def seed_for(emulator: str, profile: str) -> object | None:
    """The seed a profile module registered for this emulator, after importing that module."""
    if profile in PROFILE_MODULES:
        importlib.import_module(PROFILE_MODULES[profile])
    return _SEEDS.get((emulator, profile))
