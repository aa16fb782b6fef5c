"""The emulator process as `make run` starts it."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from plumbing.supervisor import ServiceProcess


def google_port() -> int:
    """The Google emulator's port under `make run` (capture's demo settings need it in advance)."""
    return int(os.environ.get("GT_EMULATOR_GOOGLE_PORT", "8444"))


def emulator_process(
    run_dir: Path, *, host: str, control_port: int, microsoft_port: int, today: date | None = None
) -> ServiceProcess:
    """Every registered emulator with the demo organisation (as of `today`, default the current UTC
    date); state (CA, description) in `<run_dir>/emulators`."""
    return ServiceProcess(
        name="emulators",
        args=[
            "-m",
            "services.sandbox.emulators",
            "--state-dir",
            str(run_dir / "emulators"),
            "--profile",
            "demo",
            "--host",
            host,
            "--control-port",
            str(control_port),
            "--port",
            f"microsoft={microsoft_port}",
            "--port",
            f"google={google_port()}",
            *(["--today", today.isoformat()] if today else []),
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        ready_url=f"http://{host}:{control_port}/healthz",
        endpoints={
            "Microsoft (Entra, Graph)": f"https://{host}:{microsoft_port}",
            "Google (OAuth, Gmail, Calendar)": f"http://{host}:{google_port()}",
            "control API": f"http://{host}:{control_port}/microsoft/describe",
        },
    )
