"""Shared benchmark reporting: figures next to ceilings measured in the same run, and peak RSS.

Every `make bench-*` builds a `BenchReport`, adds its figures, and calls `finish()`, which prints a
table (saying which targets were missed) and writes `.bench/<name>.json`:

    {"figures": {"<figure>": {"value": v, "unit": "...", "ceiling": c, "ratio": r}}, "peak_rss_mb": m}
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psutil

BENCH_DIR = Path(".bench")


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    ceiling: float | None = None
    # Targets: a minimum ratio to the ceiling, a maximum value, or a minimum value.
    min_ratio: float | None = None
    max_value: float | None = None
    min_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.ceiling is None or self.ceiling == 0:
            return None
        return self.value / self.ceiling

    @property
    def target(self) -> str:
        if self.min_ratio is not None:
            return f">= {self.min_ratio:g} x ceiling"
        if self.max_value is not None:
            return f"< {self.max_value:g} {self.unit}"
        if self.min_value is not None:
            return f">= {self.min_value:g} {self.unit}"
        return ""

    @property
    def met(self) -> bool | None:
        if self.min_ratio is not None:
            return self.ratio is not None and self.ratio >= self.min_ratio
        if self.max_value is not None:
            return self.value < self.max_value
        if self.min_value is not None:
            return self.value >= self.min_value
        return None


class BenchReport:
    """Collects figures for one benchmark and writes them out."""

    def __init__(self, name: str, *, max_rss_mb: float = 250.0) -> None:
        self.name = name
        self.figures: list[Figure] = []
        self.peak_rss_mb: float | None = None
        self._max_rss_mb = max_rss_mb
        self.notes: list[str] = []

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def note(self, text: str) -> None:
        """A line printed under the table: why a target is missed, what the ceiling measures."""
        self.notes.append(text)

    def set_peak_rss(self, megabytes: float) -> None:
        self.peak_rss_mb = megabytes

    def finish(self) -> bool:
        """Print the table, write the JSON; returns whether every target was met."""
        rows = [("figure", "value", "ceiling", "ratio", "target", "")]
        all_met = True
        for f in self.figures:
            met = f.met
            all_met = all_met and met is not False
            rows.append(
                (
                    f.name,
                    f"{f.value:,.2f} {f.unit}",
                    f"{f.ceiling:,.2f}" if f.ceiling is not None else "",
                    f"{f.ratio:.2f}" if f.ratio is not None else "",
                    f.target,
                    "" if met is None else ("ok" if met else "MISSED"),
                )
            )
        if self.peak_rss_mb is not None:
            rss_met = self.peak_rss_mb < self._max_rss_mb
            all_met = all_met and rss_met
            rows.append(
                (
                    "peak RSS",
                    f"{self.peak_rss_mb:,.1f} MB",
                    "",
                    "",
                    f"< {self._max_rss_mb:g} MB",
                    "ok" if rss_met else "MISSED",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        print(f"\n== bench {self.name} ==")
        for row in rows:
            print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        for line in self.notes:
            print(f"note: {line}")
        if not all_met:
            print("TARGET MISSED: see the rows marked MISSED and the notes above.")
        self._write()
        return all_met

    def _write(self) -> None:
        BENCH_DIR.mkdir(exist_ok=True)
        payload = {
            "figures": {
                f.name: {"value": f.value, "unit": f.unit, "ceiling": f.ceiling, "ratio": f.ratio}
                for f in self.figures
            },
            "peak_rss_mb": self.peak_rss_mb,
        }
        path = BENCH_DIR / f"{self.name}.json"
        path.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {path}")


class RssSampler:
    """Samples the resident set size of a process (and its children) in a background thread."""

    def __init__(self, pid: int, *, interval_sec: float = 0.05, include_children: bool = True) -> None:
        self._process = psutil.Process(pid)
        self._interval = interval_sec
        self._children = include_children
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak_bytes = 0

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / (1024 * 1024)

    def _sample(self) -> int:
        total = self._process.memory_info().rss
        if self._children:
            for child in self._process.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a child may exit between listing and reading
                    total += child.memory_info().rss
        return int(total)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_bytes = max(self.peak_bytes, self._sample())
            except psutil.Error:
                return
            time.sleep(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
