"""CPU time per process from /proc, the figure that stays stable on a shared, noisy machine.

Wall-clock rates move with whatever else the two cores are doing; the CPU a process spends on the
same work barely does. `ProcessCpu` reads `/proc/<pid>/stat` (utime + stime, in clock ticks) of a
process and of its live descendants; with `reaped=True` it also adds cutime + cstime, the CPU of
children that already exited and were waited for (PostgreSQL's backends of connections that were
closed, for instance: the postmaster reaps them).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def _ticks(pid: int, *, reaped: bool) -> int:
    fields = _stat_fields(pid)  # fields[0] is the state (field 3 of proc(5))
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return utime + stime + (cutime + cstime if reaped else 0)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int, *, descendants: bool = True, reaped: bool = True) -> float:
    """CPU seconds (user + system) of `pid` so far, with its live descendants' and, when `reaped`,
    the CPU of descendants that have exited. 0.0 when the process is gone."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            total += _ticks(current, reaped=reaped)
        except (OSError, ValueError, IndexError):  # exited between listing and reading
            continue
        if descendants:
            pending += _children(current)
    return total / _TICKS


@dataclass(frozen=True)
class Watched:
    pid: int
    descendants: bool = True
    reaped: bool = True
    also: tuple[int, ...] = ()  # more processes counted under the same name (N service processes)


class CpuMeter:
    """CPU seconds each watched process used since `start()`."""

    def __init__(self, processes: Mapping[str, Watched | None]) -> None:
        self._processes = {name: p for name, p in processes.items() if p is not None}
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {
            name: sum(
                cpu_seconds(pid, descendants=p.descendants, reaped=p.reaped) for pid in (p.pid, *p.also)
            )
            for name, p in self._processes.items()
        }

    def start(self) -> CpuMeter:
        self._start = self._now()
        return self

    def seconds(self) -> dict[str, float]:
        now = self._now()
        return {name: now[name] - self._start[name] for name in self._processes}


def per_event_us(seconds: Mapping[str, float], events: int) -> dict[str, float]:
    """Microseconds of CPU per event, per process."""
    return {name: 1e6 * sec / events for name, sec in seconds.items()} if events else {}
