"""Child processes that cannot outlive us, and loopback port helpers."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_free(host: str, port: int) -> bool:
    """True when nothing holds `port` on `host`, so a server started now can bind it."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, *, timeout_sec: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_sec
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before listening")
        if port_open(host, port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_sec}s")


# util-linux's setpriv sets the parent-death signal and execs the command. Preferred to a preexec_fn:
# Python code between fork and exec in a process with other threads (gRPC's, asyncio's executors)
# can deadlock on a lock one of them held at the fork, leaving a child that never starts.
_SETPRIV = shutil.which("setpriv")
_LIBC = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded before any fork, never in a child


def _die_with_parent(death_signal: int) -> None:
    # Fallback without setpriv. Runs in the child between fork and exec (and after any uid switch,
    # which would clear it). The kernel sends `death_signal` when the parent dies, even by SIGKILL.
    _LIBC.prctl(_PR_SET_PDEATHSIG, death_signal)


def with_death_signal(args: Sequence[str], death_signal: int) -> tuple[list[str], Callable[[], None] | None]:
    """The command line and preexec function that make the child get `death_signal` when its parent
    dies (also by SIGKILL): no orphans."""
    if _SETPRIV:
        name = signal.Signals(death_signal).name.removeprefix("SIG")
        return [_SETPRIV, "--pdeathsig", name, "--", *args], None
    return list(args), lambda: _die_with_parent(death_signal)


def spawn(
    args: Sequence[str],
    *,
    log_path: Path,
    death_signal: int = signal.SIGTERM,
    user: int | None = None,
    group: int | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `args` with stdout and stderr appended to `log_path`.

    The child gets `death_signal` if this thread dies, so spawn from the main thread.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command, preexec = with_death_signal(args, death_signal)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            user=user,
            group=group,
            env=env,
            cwd=cwd,
            # Own process group: a Ctrl-C in the terminal reaches only the supervisor, which then
            # stops everything in order (services before the infrastructure they drain into).
            start_new_session=True,
            preexec_fn=preexec,
        )


def terminate(
    process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout_sec: float = 10.0
) -> None:
    """Signal the process, wait for it, and kill it if it does not exit in time."""
    if process.poll() is not None:
        return
    os.kill(process.pid, sig)
    try:
        process.wait(timeout=timeout_sec)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
