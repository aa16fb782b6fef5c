"""SIGKILL of scoring and capture at chosen points of their work."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.chaos.cluster import ChaosCluster
from tests.chaos.faults import expire_every_cursor
from tests.chaos.scenarios.common import (
    Background,
    Injected,
    Scenario,
    crm_applied,
    kill_when,
    latency,
    published,
    readiness_flips,
    stored_count,
    wait_applied,
    wait_published,
)
from tests.chaos.workload import Workload


def capture_kill_mid_backfill(cluster: ChaosCluster, workload: Workload) -> Injected:
    """Register the organisation (the backfill starts) and SIGKILL capture once a quarter of it is
    stored; a slower provider makes the backfill long enough to land in."""
    latency(cluster, 0.06)
    expected = sum(len(v) for v in workload.expected_activities().values())
    workload.set_up()
    landed = kill_when(cluster, "capture", lambda n: n >= expected // 4, timeout_sec=30)
    latency(cluster, cluster.emulator_latency_sec)
    killed = time.monotonic()
    problems = (
        [] if 0 < landed < expected else [f"the kill landed outside the backfill ({landed}/{expected})"]
    )
    cluster.start_service("capture")
    return Injected(
        f"SIGKILL capture at {landed}/{expected} of the backfill", expected, problems, ended_at=killed
    )


def capture_kill_mid_resync(cluster: ChaosCluster, workload: Workload) -> Injected:
    """Expire every mailbox's cursor (capture resyncs each mailbox in full) and SIGKILL capture in the
    middle of the resync."""
    latency(cluster, 0.06)
    before = published(cluster)
    expire_every_cursor(workload)
    added = workload.add_mail(8)
    landed = wait_published(cluster, before + 6, timeout_sec=30)
    cluster.kill("capture")
    killed = time.monotonic()
    latency(cluster, cluster.emulator_latency_sec)
    cluster.start_service("capture")
    problems = [] if landed >= before + 6 else ["the resync had not started when capture was killed"]
    return Injected(
        f"expired cursors, SIGKILL capture {landed - before} pages into the resync",
        added,
        problems,
        ended_at=killed,
    )


def capture_kill_mid_incremental(cluster: ChaosCluster, workload: Workload) -> Injected:
    before = stored_count(cluster)
    added = workload.add_mail(30)
    landed = kill_when(cluster, "capture", lambda n: n > before, timeout_sec=20) - before
    killed = time.monotonic()
    problems = [] if 0 < landed < added else [f"the kill landed at {landed}/{added} of the incremental sync"]
    cluster.start_service("capture")
    return Injected(f"SIGKILL capture at {landed}/{added} new items", added, problems, ended_at=killed)


def scoring_kill(burst: int = 400) -> Scenario:
    """SIGKILL scoring in the middle of a burst of CRM batches and new mail: once a random share of
    the burst is applied, plus a random fraction of a batch cycle, so the kill lands anywhere in it
    (fetching, inside the transaction, between the database commit and the offset commit)."""

    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        base = asyncio.run(crm_applied(cluster))
        share = workload.rng.uniform(0.1, 0.8)
        crm = Background(lambda: workload.send_crm_activity(burst, batch=10, pause_sec=0.05))
        added = workload.add_mail(10)
        applied = asyncio.run(wait_applied(cluster, base + int(share * burst), timeout_sec=60))
        time.sleep(workload.rng.uniform(0.0, 0.3))
        acknowledged = workload.sent.total + workload.accounts_sent
        at_kill = asyncio.run(crm_applied(cluster))
        cluster.kill("scoring")
        killed = time.monotonic()
        problems = _gateway_without_scoring(cluster)
        cluster.start_service("scoring")
        events = crm.join() + added
        return Injected(
            f"SIGKILL scoring {applied - base}/{burst} into a CRM burst",
            events,
            problems,
            ended_at=killed,
            details=f"at the kill, {max(acknowledged - at_kill, 0)} acknowledged CRM events were unapplied",
        )

    return scenario


def _gateway_without_scoring(cluster: ChaosCluster) -> list[str]:
    """With its upstream gone the gateway reports not-ready (check "scoring"); a rep's score that
    scoring relayed to gt.scores.v1 is still served from the gateway's score view, and reads that
    need scoring itself (a rep the view does not hold, activities) answer 503 + Retry-After, never
    a 500; CRM ingest does not need scoring and goes on."""
    problems = readiness_flips(cluster, "scoring", expect=False, services=("gateway",))
    headers = {"Authorization": f"Bearer {cluster.admin_key}"}
    held = httpx.get(f"{cluster.gateway_url}/v1/reps/rep-rep0001/score", headers=headers, timeout=15)
    if held.status_code != 200:
        problems.append(f"a relayed score read without scoring answered {held.status_code}, not 200")
    for path in ("/v1/reps/rep-never-scored/score", "/v1/reps/rep-rep0001/activities"):
        answer = httpx.get(f"{cluster.gateway_url}{path}", headers=headers, timeout=15)
        if answer.status_code != 503 or "Retry-After" not in answer.headers:
            problems.append(
                f"GET {path} without scoring answered {answer.status_code}, not 503 + Retry-After"
            )
    return problems
