"""Apache Kafka SIGKILLed under load and started again on the same log dirs.

The crash that matters most to at-least-once delivery: whatever a producer was told is stored must
still be there after the restart, whatever was not must be sent again, and nothing may be counted
twice. Each scenario kills the broker at a chosen point of one kind of work, keeps it down for
`down_sec`, restarts it, and lets the runner compare the store with the ground truth.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from tests.chaos.cluster import ChaosCluster
from tests.chaos.scenarios.common import (
    Background,
    Injected,
    Scenario,
    back_to_ready,
    crm_applied,
    latency,
    readiness_flips,
    stored_count,
    wait_applied,
)
from tests.chaos.workload import Workload


def _down(cluster: ChaosCluster, down_sec: float) -> tuple[list[str], float]:
    """Kill the broker, check readiness reports it, hold, restart; returns problems and the restart time."""
    cluster.kill_broker()
    killed_at = time.monotonic()
    try:
        problems = readiness_flips(cluster, "kafka", expect=False)
        time.sleep(max(0.0, down_sec - (time.monotonic() - killed_at)))
    finally:
        cluster.restart_broker()
    return problems, time.monotonic()


def broker_kill_mid_backfill(down_sec: float) -> Scenario:
    """Register mailboxes capture has never seen (a fresh backfill) and kill the broker once a quarter
    of their activities is stored: capture must not keep a cursor past items the broker lost."""

    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        latency(cluster, 0.06)
        before = stored_count(cluster)
        expected = workload.register_reserve()
        problems = [] if expected > 0 else ["no reserve mailboxes left: nothing to backfill"]
        deadline = time.monotonic() + 30
        while stored_count(cluster) < before + expected // 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        landed = stored_count(cluster) - before
        if not 0 < landed < expected:
            problems.append(f"the kill landed outside the backfill ({landed}/{expected})")
        down, restarted = _down(cluster, down_sec)
        latency(cluster, cluster.emulator_latency_sec)
        problems += down + back_to_ready(cluster)
        return Injected(
            f"broker SIGKILL at {landed}/{expected} of a backfill, down {down_sec:g}s",
            expected,
            problems,
            ended_at=restarted,
        )

    return scenario


def broker_kill_mid_crm_burst(down_sec: float, burst: int = 400) -> Scenario:
    """Kill the broker while scoring works through a burst of CRM batches: offsets scoring committed
    before the crash must hold, and what it had not committed is consumed again without doubling."""

    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        base = asyncio.run(crm_applied(cluster))
        share = workload.rng.uniform(0.2, 0.6)
        crm = Background(lambda: workload.send_crm_activity(burst, batch=10, pause_sec=0.05))
        applied = asyncio.run(wait_applied(cluster, base + int(share * burst), timeout_sec=60))
        problems, restarted = _down(cluster, down_sec)
        problems += back_to_ready(cluster)
        events = crm.join()
        return Injected(
            f"broker SIGKILL {applied - base}/{burst} into a CRM burst, down {down_sec:g}s",
            events,
            problems,
            ended_at=restarted,
        )

    return scenario


def broker_kill_mid_ingest(down_sec: float, senders: int = 3, per_sender: int = 600) -> Scenario:
    """Kill the broker under concurrent CRM ingest through the gateway. Every batch answered 202 must
    be applied (the runner's comparison); every batch refused while the broker is away must have been
    answered 503 with Retry-After, never accepted and then lost, never a 500 or a hang. An outage
    shorter than the gateway's produce timeout (30 s) is waited out: the requests caught by it are
    answered 202 once the broker is back; a longer one is refused with 503."""

    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        refused_before, before = Counter(workload.sent.refusals), workload.sent.total
        streams = [
            Background(lambda: workload.send_crm_activity(per_sender, batch=5, pause_sec=0.01))
            for _ in range(senders)
        ]
        time.sleep(1.0)
        acknowledged_at_kill = workload.sent.total
        problems, restarted = _down(cluster, down_sec)
        problems += back_to_ready(cluster)
        events = sum(stream.join() for stream in streams)
        refused = workload.sent.refusals - refused_before
        if workload.sent.total == acknowledged_at_kill:
            problems.append("every batch was acknowledged before the kill: it landed outside the ingest")
        problems += [f"{n} refusals answered {code}, not 503" for code, n in refused.items() if code != "503"]
        return Injected(
            f"broker SIGKILL under {senders} concurrent CRM senders, down {down_sec:g}s",
            events,
            problems,
            ended_at=restarted,
            details=f"{events - (acknowledged_at_kill - before)} events acknowledged after the kill; "
            + "refusals while the broker was down: "
            + (", ".join(f"{k}: {v}" for k, v in sorted(refused.items())) or "none (requests waited)"),
        )

    return scenario
