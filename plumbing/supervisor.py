"""Runs a set of service processes next to the infrastructure, the way `make run` needs it.

Services start in order and must become ready (their `/readyz`) before the next one starts; a service
that exits is restarted with backoff; SIGINT/SIGTERM stop the services first (they drain into the
infrastructure), then the infrastructure.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from plumbing.embedded.process import spawn, terminate

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceProcess:
    """How to start one service and where it listens."""

    name: str
    args: Sequence[str]
    env: dict[str, str]
    ready_url: str
    endpoints: dict[str, str] = field(default_factory=dict)


class Supervisor:
    def __init__(self, run_dir: Path) -> None:
        self._run_dir = run_dir
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._restarts: dict[str, float] = {}
        self._stopping = False

    def log_path(self, name: str) -> Path:
        return self._run_dir / "logs" / f"{name}.log"

    def start(self, service: ServiceProcess, *, ready_timeout_sec: float = 60.0) -> None:
        self._children[service.name] = spawn(
            [sys.executable, *service.args],
            log_path=self.log_path(service.name),
            env=service.env,
            death_signal=signal.SIGTERM,
        )
        self._wait_ready(service, ready_timeout_sec)

    def _wait_ready(self, service: ServiceProcess, timeout_sec: float) -> None:
        deadline = time.monotonic() + timeout_sec
        process = self._children[service.name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{service.name} exited with {process.returncode}; see {self.log_path(service.name)}"
                )
            try:
                if httpx.get(service.ready_url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(
            f"{service.name} not ready after {timeout_sec}s; see {self.log_path(service.name)}"
        )

    def watch(self, services: Sequence[ServiceProcess], stop_requested: list[bool]) -> None:
        """Block until a stop is requested, restarting any service that exits on its own."""
        by_name = {s.name: s for s in services}
        while not stop_requested[0]:
            for name, process in list(self._children.items()):
                if process.poll() is None:
                    continue
                _log.error(
                    "%s exited with %s; restarting (log: %s)", name, process.returncode, self.log_path(name)
                )
                # Back off if it keeps dying, so a broken service does not spin the machine.
                if time.monotonic() - self._restarts.get(name, 0.0) < 10:
                    time.sleep(5)
                self._restarts[name] = time.monotonic()
                try:
                    self.start(by_name[name])
                except (RuntimeError, TimeoutError) as exc:
                    _log.error("%s", exc)
            time.sleep(0.5)

    def stop_all(self) -> None:
        for name, process in reversed(list(self._children.items())):
            _log.info("stopping %s", name)
            terminate(process, timeout_sec=30)
        self._children.clear()
