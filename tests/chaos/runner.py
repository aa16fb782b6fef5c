"""Runs scenarios one after another against one cluster and one workload, and after each measures
how long the platform took to hold the ground truth again and what it lost or counted twice.

`python -m tests.chaos` (`make chaos`) runs the full plan and writes `.bench/chaos.json`; the test
suite runs the short plan (tests/chaos/test_chaos_short.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import psutil

from tests.bench.harness import BenchReport, Figure
from tests.chaos import scenarios as s
from tests.chaos.checks import Comparison, compare, settled
from tests.chaos.cluster import ChaosCluster
from tests.chaos.workload import Workload

# Settled for longer than one of capture's health checks (1 s): a state change capture has seen but
# not yet published would otherwise be missed by the comparison, and then disagree with it.
SETTLED_FOR_SEC = 1.5

Plan = Sequence[tuple[str, s.Scenario]]

FULL_PLAN: Plan = (
    ("capture-kill-backfill", s.capture_kill_mid_backfill),
    *((f"scoring-kill-{n}", s.scoring_kill()) for n in range(1, 6)),
    ("capture-kill-incremental-1", s.capture_kill_mid_incremental),
    ("capture-kill-incremental-2", s.capture_kill_mid_incremental),
    ("capture-kill-resync", s.capture_kill_mid_resync),
    ("broker-pause-30s", s.broker_pause(30)),
    ("broker-kill-backfill", s.broker_kill_mid_backfill(5)),
    ("broker-kill-crm-burst", s.broker_kill_mid_crm_burst(5)),
    ("broker-kill-ingest", s.broker_kill_mid_ingest(5)),
    ("broker-kill-ingest-40s", s.broker_kill_mid_ingest(40)),
    ("postgres-restart-1", s.postgres_restart(5)),
    ("postgres-restart-2", s.postgres_restart(15)),
    ("cold-start-without-postgres", s.cold_start_without_postgres),
    ("provider-429-storm", s.provider_throttle(429)),
    ("provider-503-burst", s.provider_throttle(503)),
    ("provider-expired-cursors", s.provider_expired_cursors),
    ("provider-revoked-credentials", s.provider_revoked),
    ("poison-records", s.poison_records),
    ("poison-item", s.poison_item),
    ("stalled-chain", s.stalled_chain),
    ("malformed-requests", s.malformed_requests),
    ("scoring-kill-6", s.scoring_kill()),
)

SHORT_PLAN: Plan = (
    ("capture-kill-backfill", s.capture_kill_mid_backfill),
    ("scoring-kill", s.scoring_kill(200)),
    ("broker-pause-4s", s.broker_pause(4)),
    ("broker-kill-ingest", s.broker_kill_mid_ingest(3, senders=2, per_sender=300)),
    ("postgres-restart-1s", s.postgres_restart(1)),
    ("poison-records", s.poison_records),
    ("poison-item", s.poison_item),
    ("stalled-chain", s.stalled_chain),
)


@dataclass
class ScenarioResult:
    name: str
    faults: str
    events: int
    comparison: Comparison
    recovery_sec: float
    problems: list[str] = field(default_factory=list)
    details: str = ""

    @property
    def lost(self) -> int:
        return self.comparison.total_lost

    @property
    def duplicated(self) -> int:
        return self.comparison.total_duplicated

    @property
    def ok(self) -> bool:
        return self.comparison.clean and not self.problems


@dataclass
class RunResult:
    scenarios: list[ScenarioResult]
    unexpected_exits: list[str]
    peak_rss_mb: dict[str, float]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.scenarios) and not self.unexpected_exits


def run_plan(cluster: ChaosCluster, plan: Plan, *, recovery_timeout_sec: float = 120.0) -> RunResult:
    workload = Workload(cluster)
    results: list[ScenarioResult] = []
    try:
        with _sampling_rss(cluster) as peaks:
            for name, scenario in plan:
                print(f"-- {name}", flush=True)
                injected = scenario(cluster, workload)
                comparison, recovery = _recover(cluster, workload, injected.ended_at, recovery_timeout_sec)
                problems = list(injected.problems)
                if injected.after_recovery is not None:
                    problems += injected.after_recovery()
                result = ScenarioResult(
                    name, injected.faults, injected.events, comparison, recovery, problems
                )
                results.append(result)
                print(
                    f"   {injected.faults}: {comparison.describe()}; recovered in {recovery:.1f}s"
                    + (f"; {injected.details}" if injected.details else "")
                    + (f"; PROBLEMS: {problems}" if problems else ""),
                    flush=True,
                )
        return RunResult(results, list(cluster.unexpected_exits), dict(peaks))
    finally:
        workload.close()


def _recover(
    cluster: ChaosCluster, workload: Workload, fault_ended_at: float, timeout_sec: float
) -> tuple[Comparison, float]:
    """Poll until the store matches the ground truth (or time runs out); then, once no rescore is
    pending, compare once more including a fresh rescore. Recovery counts from the fault's end."""
    started = fault_ended_at
    deadline = time.monotonic() + timeout_sec
    comparison = Comparison()
    while time.monotonic() < deadline:
        cluster.ensure_running()
        with contextlib.suppress(Exception):  # a dependency still coming back: try again
            comparison = asyncio.run(compare(workload))
            if comparison.clean:
                break
        time.sleep(0.25)
    recovery = time.monotonic() - started
    settled_since: float | None = None
    while time.monotonic() < deadline:
        if not asyncio.run(settled(workload)):
            settled_since = None
        elif settled_since is None:
            settled_since = time.monotonic()
        elif time.monotonic() - settled_since >= SETTLED_FOR_SEC:
            break
        time.sleep(0.25)
    return asyncio.run(compare(workload, include_scores=True)), recovery


@contextlib.contextmanager
def _sampling_rss(cluster: ChaosCluster) -> Iterator[dict[str, float]]:
    """Peak resident memory of each service process (across its restarts), in MB."""
    peaks: dict[str, float] = {}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for name, service in cluster.services.items():
                process = service.process
                if process is None:
                    continue
                with contextlib.suppress(psutil.Error):
                    rss = psutil.Process(process.pid).memory_info().rss / (1024 * 1024)
                    peaks[name] = max(peaks.get(name, 0.0), rss)
            stop.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peaks
    finally:
        stop.set()
        thread.join(timeout=2)


def print_table(run: RunResult) -> None:
    rows = [("scenario", "injected faults", "events", "lost", "duplicated", "recovery", "")]
    for r in run.scenarios:
        rows.append(
            (
                r.name,
                r.faults,
                str(r.events),
                str(r.lost),
                str(r.duplicated),
                f"{r.recovery_sec:.1f} s",
                "ok" if r.ok else "FAILED",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print("\n== chaos ==")
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    for r in run.scenarios:
        if not r.ok:
            print(f"{r.name}: {r.comparison.describe()}; {r.problems}")
    last = run.scenarios[-1].comparison if run.scenarios else None
    if last is not None:
        print(
            f"ground truth at the end: {last.expected_activities} activities, {last.feed_entries} feed "
            f"entries; fresh rescore vs incremental: {last.score_mismatches} reps differ"
        )
    if run.unexpected_exits:
        print(f"services that died on their own: {run.unexpected_exits}")
    print(f"peak RSS per service: { {k: round(v, 1) for k, v in run.peak_rss_mb.items()} }")


def write_report(run: RunResult, name: str = "chaos") -> bool:
    report = BenchReport(name)
    for r in run.scenarios:
        report.add(Figure(f"{r.name}.lost", r.lost, "events", max_value=1))
        report.add(Figure(f"{r.name}.duplicated", r.duplicated, "events", max_value=1))
        report.add(Figure(f"{r.name}.recovery", round(r.recovery_sec, 2), "s"))
    report.add(Figure("unexpected_exits", len(run.unexpected_exits), "processes", max_value=1))
    if run.peak_rss_mb:
        report.set_peak_rss(max(run.peak_rss_mb.values()))
    for r in run.scenarios:
        if r.details:
            report.note(f"{r.name}: {r.details}")
        if r.problems:
            report.note(f"{r.name}: {'; '.join(r.problems)}")
    return report.finish()
