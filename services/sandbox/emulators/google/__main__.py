"""`python -m services.sandbox.emulators.google [--port N] [--extra-reps N] [--key-file PATH]`: serve the demo
organisation until interrupted; prints where it listens and writes the service-account key file."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from pathlib import Path

from services.sandbox.emulators.google.seed import SeedShape
from services.sandbox.emulators.google.server import running_google_emulator


async def _serve(port: int, extra_reps: int, key_file: Path | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_google_emulator(port=port, shape=SeedShape(extra_reps=extra_reps)) as emulator:
        if key_file is not None:
            await asyncio.to_thread(_write_key, key_file, emulator.key_file())
        print(json.dumps({"base_url": emulator.base_url, "users": emulator.world.users()}), flush=True)
        await stop.wait()


def _write_key(path: Path, key: dict[str, str]) -> None:
    path.write_text(json.dumps(key, indent=2))
    path.chmod(0o600)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.sandbox.emulators.google")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--extra-reps", type=int, default=0)
    parser.add_argument("--key-file", type=Path)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.extra_reps, args.key_file))


if __name__ == "__main__":
    main()
