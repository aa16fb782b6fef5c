"""`python -m services.sandbox.emulators`: run every registered provider emulator in one process.

Prints one JSON line (also written to `<state-dir>/emulators.json`) with the control URL, the CA
bundle clients must trust, and each emulator's description, then serves until SIGTERM/SIGINT.

    python -m services.sandbox.emulators --state-dir .run/emulators --profile demo --control-port 8090
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
from datetime import date
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from plumbing.lifecycle import run_until_signalled
from plumbing.logs import configure_logging
from services.sandbox.emulators.registry import EMULATOR_MODULES, Emulator, EmulatorOptions, registered
from services.sandbox.emulators.server import AsgiServer
from services.sandbox.emulators.tls import issue_tls

_log = logging.getLogger("services.sandbox.emulators")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.sandbox.emulators", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=Path(".run/emulators"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument(
        "--port", action="append", default=[], metavar="NAME=PORT", help="provider-facing port"
    )
    parser.add_argument("--profile", choices=["demo", "seeded", "bench", "empty"], default="demo")
    parser.add_argument("--mailboxes", type=int, default=3)
    parser.add_argument("--items", type=int, default=24, help="items per mailbox (mail and meetings)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="the demo's today (UTC)")
    return parser


async def serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    tls = issue_tls(args.state_dir / "tls")
    for module in EMULATOR_MODULES:
        importlib.import_module(module)
    ports = {name: int(port) for name, port in (p.split("=", 1) for p in args.port)}
    options = EmulatorOptions(
        tls=tls,
        host=args.host,
        profile=args.profile,
        mailboxes=args.mailboxes,
        items_per_mailbox=args.items,
        seed=args.seed,
        ports=ports,
        state_dir=args.state_dir,
        today=args.today,
    )
    emulators: list[Emulator] = [factory(options) for factory in registered().values()]

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/healthz", healthz),
        *(Mount(f"/{e.name}", routes=e.control_routes()) for e in emulators),
    ]
    control = AsgiServer(Starlette(routes=routes), host=args.host, port=args.control_port)
    started: list[Emulator] = []
    try:
        for emulator in emulators:
            await emulator.start()
            started.append(emulator)
        await control.start()
        description = {
            "control_url": f"http://{args.host}:{control.port}",
            "ca_bundle": str(tls.ca_path.resolve()),
            "emulators": {e.name: e.describe() for e in emulators},
        }
        line = json.dumps(description)
        (args.state_dir / "emulators.json").write_text(line + "\n")
        print(line, flush=True)
        await stop.wait()
    finally:
        await control.stop()
        for emulator in reversed(started):
            await emulator.stop()


def main() -> None:
    args = build_parser().parse_args()
    configure_logging(service="emulators", level="INFO", json_format=True)
    run_until_signalled(lambda stop: serve(args, stop))


if __name__ == "__main__":
    main()
