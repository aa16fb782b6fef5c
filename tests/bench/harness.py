"""Shared benchmark reporting: figures next to the fair client measured in the same run, CPU per
event per process, and peak RSS.

Every `make bench-*` builds a `BenchReport`, adds its figures, and calls `finish()`, which prints a
table (saying which targets were missed) and writes `.bench/<name>.json`:

    {"figures": {"<figure>": {"value": v, "unit": "...", "ceiling": c, "ratio": r}},
     "peak_rss_mb": m,
     "cpu_us_per_event": {"<work>": {"pipeline": {"<process>": us}, "fair client": {"<process>": us}}}}

`ceiling` is what the figure is compared with: for the main figures, the fair client (the minimal
realistic program doing the same work, run in the same benchmark in alternating rounds with the
pipeline, `interleave`), medians of the rounds; `ratio` is value / ceiling. Raw ceilings (a bare
consumer, a bare COPY, the emulator's serving rate) are kept as figures of their own, for context.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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
        self.cpu_us_per_event: dict[str, dict[str, dict[str, float]]] = {}
        self.extra: dict[str, object] = {}

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
        rows = [("figure", "value", "client/ceiling", "ratio", "target", "")]
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
            "cpu_us_per_event": self.cpu_us_per_event,
            **self.extra,
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


@dataclass(frozen=True)
class Round:
    """One measured run of a workload: events done, in how long, and each process's CPU seconds."""

    events: int
    wall_sec: float
    cpu_sec: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.wall_sec if self.wall_sec > 0 else 0.0

    def cpu_us(self) -> dict[str, float]:
        return {name: 1e6 * sec / self.events for name, sec in self.cpu_sec.items()} if self.events else {}


@dataclass
class Rounds:
    """The rounds of one side of an A/B comparison, summarised by medians (robust to one noisy round)."""

    rounds: list[Round] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.rounds)

    def cpu_us(self) -> dict[str, float]:
        names = {name for r in self.rounds for name in r.cpu_sec}
        return {
            name: statistics.median(r.cpu_us()[name] for r in self.rounds if name in r.cpu_sec)
            for name in sorted(names)
        }

    def spread(self) -> str:
        rates = sorted(r.rate for r in self.rounds)
        return f"{rates[0]:,.0f}-{rates[-1]:,.0f}" if rates else ""


async def interleave(
    rounds: int, pipeline: Callable[[int], Awaitable[Round]], client: Callable[[int], Awaitable[Round]]
) -> tuple[Rounds, Rounds]:
    """A/B/A/B: the pipeline and the fair client alternately, `rounds` times each, so both see the
    same machine (a neighbour's burst, a warm page cache) as evenly as a shared machine allows. The
    order flips every round (AB, BA, AB, ...) so neither side always runs right after the other."""
    a, b = Rounds(), Rounds()
    for n in range(rounds):
        order = [("pipeline", pipeline, a), ("client", client, b)]
        for side, run, into in order if n % 2 == 0 else order[::-1]:
            result = await run(n)
            into.rounds.append(result)
            cpu = ", ".join(f"{k} {v:.0f}" for k, v in result.cpu_us().items())
            print(f"round {n + 1} {side}: {result.events:,} in {result.wall_sec:.1f} s "
                  f"({result.rate:,.0f}/s); CPU us/event: {cpu}", flush=True)  # fmt: skip
    return a, b


def add_comparison(
    report: BenchReport,
    name: str,
    unit: str,
    pipeline: Rounds,
    client: Rounds,
    *,
    min_ratio: float | None = None,
    max_cpu_us: dict[str, float] | None = None,
    baseline: str = "fair client",
) -> None:
    """The pipeline's median rate against the client's (ratio, target), the client's own figure, and
    per process the pipeline's median CPU per event against the client's for the same process."""
    report.add(Figure(name, pipeline.rate, unit, ceiling=client.rate, min_ratio=min_ratio))
    report.add(Figure(f"{name}: {baseline}", client.rate, unit))
    ours, theirs = pipeline.cpu_us(), client.cpu_us()
    for process, us in ours.items():
        report.add(
            Figure(
                f"{name}: CPU {process}",
                us,
                "us/event",
                ceiling=theirs.get(process),
                max_value=(max_cpu_us or {}).get(process),
            )
        )
    report.cpu_us_per_event[name] = {"pipeline": ours, baseline: theirs}
    report.note(
        f"{name}: {len(pipeline.rounds)} rounds each, interleaved; pipeline {pipeline.spread()}, "
        f"{baseline} {client.spread()} {unit} (medians in the table; CPU rows: pipeline vs {baseline}, "
        "same process)"
    )
