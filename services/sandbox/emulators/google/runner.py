"""The Google emulator as one of `python -m services.sandbox.emulators`' emulators (`make run`, benches).

Profiles: `demo` is the demo organisation's Google Workspace half (`services/sandbox/demo`); `bench`
is `--mailboxes` reps with `--items` customer items each; `empty` has the staff only. The service
account's key file (its token_uri pointing here) is written to `<state-dir>/google-key.json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import cast

from starlette.routing import BaseRoute

from services.sandbox.emulators.google.routes_control import ControlRoutes
from services.sandbox.emulators.google.seed import DOMAIN, seed_bench
from services.sandbox.emulators.google.server import GoogleEmulator
from services.sandbox.emulators.google.world import GoogleWorld
from services.sandbox.emulators.registry import EmulatorOptions, register, seed_for

# The Pub/Sub topic users.watch publishes to in the demo and the benchmark.
PUBSUB_TOPIC = "projects/groundtruth-emulator/topics/gmail-push"


# A profile's world, registered from outside the emulators (registry.PROFILE_MODULES); it is given
# the path of the service-account key file (to keep the previous run's key).
GoogleSeed = Callable[[EmulatorOptions, Path], GoogleWorld]


class GoogleRunnerEmulator:
    name = "google"

    def __init__(self, options: EmulatorOptions) -> None:
        self._key_path = options.state_dir / "google-key.json"
        seed = seed_for("google", options.profile)
        if seed is not None:
            world = cast(GoogleSeed, seed)(options, self._key_path)
            self.reps = [r for r in world.users() if r in world.mailboxes]
        else:
            # Built only here: a world makes a 2048-bit service-account key.
            world = GoogleWorld(DOMAIN, seed=options.seed)
            self.reps = []
            if options.profile in ("bench", "seeded"):
                self.reps = seed_bench(world, reps=options.mailboxes, items_per_rep=options.items_per_mailbox)
        self.emulator = GoogleEmulator(world, host=options.host, port=options.ports.get("google", 0))

    async def start(self) -> None:
        await self.emulator.start()
        self._key_path.parent.mkdir(parents=True, exist_ok=True)
        self._key_path.write_text(json.dumps(self.emulator.key_file()))
        self._key_path.chmod(0o600)

    async def stop(self) -> None:
        await self.emulator.stop()

    def describe(self) -> dict[str, object]:
        return {
            "base_url": self.emulator.base_url,
            "token_uri": self.emulator.token_uri,
            "gmail_endpoint": self.emulator.base_url,
            "calendar_endpoint": self.emulator.calendar_endpoint,
            "key_file": str(Path(self._key_path).resolve()),
            "domain": self.emulator.world.domain,
            "pubsub_topic": PUBSUB_TOPIC,
            "reps": self.reps if len(self.reps) <= 20 else len(self.reps),
        }

    def control_routes(self) -> list[BaseRoute]:
        return ControlRoutes(self.emulator.world, lambda: self.emulator.base_url).routes()


register("google", GoogleRunnerEmulator)
