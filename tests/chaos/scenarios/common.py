"""What every scenario returns and the probes they share (readiness, stored counts, metrics)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import httpx

from tests.chaos.cluster import SERVICES, ChaosCluster
from tests.chaos.workload import TENANT, Workload

# Topics scoring consumes: their poison must reach the dead-letter topic.
CONSUMED = ("gt.activity.captured.v1", "gt.crm.events.v1")


@dataclass
class Injected:
    """What a scenario did: the faults (in words), the workload events it generated, anything wrong
    it saw on the way (a readiness that did not flip, a 5xx, a missing dead letter) and, for
    scenarios whose platform checks wait for it, a follow-up check run after recovery."""

    faults: str
    events: int = 0
    problems: list[str] = field(default_factory=list)
    after_recovery: Callable[[], list[str]] | None = None
    # When the fault ended (resumed, restarted): recovery is measured from here.
    ended_at: float = field(default_factory=time.monotonic)
    details: str = ""


Scenario = Callable[[ChaosCluster, Workload], Injected]


class Background:
    """Runs workload calls in a thread while the scenario hurts the platform."""

    def __init__(self, work: Callable[[], int]) -> None:
        self.events = 0
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.events = work()
            except BaseException as exc:
                self.error = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def join(self, timeout_sec: float = 240.0) -> int:
        self._thread.join(timeout_sec)
        if self._thread.is_alive():
            raise TimeoutError("the background workload did not finish")
        if self.error is not None:
            raise self.error
        return self.events


async def _stored_count(cluster: ChaosCluster) -> int:
    conn = await asyncpg.connect(cluster.database_url, timeout=5)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM scoring.activities WHERE tenant_id = $1", TENANT)
        )
    finally:
        await conn.close()


def stored_count(cluster: ChaosCluster) -> int:
    return asyncio.run(_stored_count(cluster))


async def wait_applied(cluster: ChaosCluster, target: int, *, timeout_sec: float) -> int:
    """Poll (on one connection, so the poll is fine-grained) until `target` CRM events are applied."""
    conn = await asyncpg.connect(cluster.database_url, timeout=5)
    try:
        deadline = time.monotonic() + timeout_sec
        while True:
            sql = "SELECT count(*) FROM scoring.processed_events WHERE tenant_id = $1"
            applied = int(await conn.fetchval(sql, TENANT))
            if applied >= target or time.monotonic() > deadline:
                return applied
            await asyncio.sleep(0.005)
    finally:
        await conn.close()


async def crm_applied(cluster: ChaosCluster) -> int:
    conn = await asyncpg.connect(cluster.database_url, timeout=5)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM scoring.processed_events WHERE tenant_id = $1", TENANT
        )
        return int(count)
    finally:
        await conn.close()


def latency(cluster: ChaosCluster, seconds: float) -> None:
    httpx.post(
        f"{cluster.emulators.control_url}/microsoft/faults/latency", json={"seconds": seconds}, timeout=10
    ).raise_for_status()


def kill_when(cluster: ChaosCluster, name: str, stored: Callable[[int], bool], *, timeout_sec: float) -> int:
    deadline = time.monotonic() + timeout_sec
    count = stored_count(cluster)
    while not stored(count) and time.monotonic() < deadline:
        time.sleep(0.02)
        count = stored_count(cluster)
    cluster.kill(name)
    return count


def published(cluster: ChaosCluster) -> int:
    """Provider pages capture has processed and committed (its metrics)."""
    return metric_sum(cluster, "capture", "gt_capture_pages_total")


def wait_published(cluster: ChaosCluster, target: int, *, timeout_sec: float) -> int:
    deadline = time.monotonic() + timeout_sec
    count = published(cluster)
    while count < target and time.monotonic() < deadline:
        time.sleep(0.02)
        count = published(cluster)
    return count


def metric_sum(cluster: ChaosCluster, service: str, metric: str) -> int:
    url = f"http://127.0.0.1:{cluster.services[service].http_port}/metrics"
    text = httpx.get(url, timeout=5).text
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(metric)))


def readiness_flips(
    cluster: ChaosCluster,
    check: str,
    *,
    expect: bool,
    timeout_sec: float = 15,
    services: tuple[str, ...] = SERVICES,
) -> list[str]:
    """Each service's /readyz must report the dependency's check as `expect` (and answer 503)."""
    problems = []
    for name in services:
        deadline = time.monotonic() + timeout_sec
        while True:
            checks = cluster.readiness_checks(name)
            if checks.get(check) is expect and not cluster.ready(name):
                break
            if time.monotonic() > deadline:
                problems.append(f"{name} /readyz never reported {check}={expect} (last: {checks})")
                break
            time.sleep(0.2)
    return problems


def back_to_ready(cluster: ChaosCluster, timeout_sec: float = 90) -> list[str]:
    problems = []
    for name in SERVICES:
        try:
            cluster.wait_ready(name, timeout_sec=timeout_sec)
        except (TimeoutError, RuntimeError) as exc:
            problems.append(f"{name} did not become ready again: {exc}")
            cluster.ensure_running()
    return problems


def statuses(statuses: dict[str, int]) -> str:
    return " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
