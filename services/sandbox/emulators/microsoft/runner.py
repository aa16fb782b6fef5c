"""The Microsoft emulator as one of `python -m services.sandbox.emulators`' emulators: built from the
runner's options (profile, mailboxes, items), with its control API mounted under /microsoft.

Profiles: `demo` comes from the demo (registry.PROFILE_MODULES); `seeded` is a generic organisation
of `--mailboxes` with internal-only and private items among the customer ones; `bench` has customer
items only; `empty` has nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from starlette.routing import BaseRoute

from services.sandbox.emulators.microsoft.control import control_routes
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from services.sandbox.emulators.microsoft.org import OrgSpec
from services.sandbox.emulators.registry import EmulatorOptions, register, seed_for

# A profile's organisation, registered from outside the emulators (registry.PROFILE_MODULES).
MicrosoftSeed = Callable[[MicrosoftEmulator, EmulatorOptions], None]


class MicrosoftRunnerEmulator:
    """The registry's view of one `MicrosoftEmulator` (see registry.Emulator)."""

    name = "microsoft"

    def __init__(self, options: EmulatorOptions) -> None:
        self.emulator = MicrosoftEmulator(
            tls=options.tls, host=options.host, port=options.ports.get("microsoft", 0)
        )
        seed = seed_for("microsoft", options.profile)
        if seed is not None:
            cast(MicrosoftSeed, seed)(self.emulator, options)
        elif options.profile in ("bench", "seeded"):
            events = max(1, options.items_per_mailbox // 4)
            bench = options.profile == "bench"
            self.emulator.seed(
                OrgSpec(
                    seed=options.seed,
                    mailboxes=options.mailboxes,
                    messages_per_mailbox=options.items_per_mailbox - events,
                    events_per_mailbox=events,
                    # The benchmark counts arrivals: every item of its organisation is customer
                    # activity. "seeded" keeps internal-only and private items, which capture drops.
                    internal_share=0.0 if bench else 0.15,
                    private_share=0.0 if bench else 0.1,
                )
            )

    async def start(self) -> None:
        await self.emulator.start()

    async def stop(self) -> None:
        await self.emulator.stop()

    def describe(self) -> dict[str, object]:
        return self.emulator.describe()

    def control_routes(self) -> list[BaseRoute]:
        return control_routes(self.emulator)


register("microsoft", MicrosoftRunnerEmulator)
