"""PostgreSQL and the broker taken away under load."""

from __future__ import annotations

import time
from collections import Counter

from tests.chaos.cluster import SERVICES, ChaosCluster
from tests.chaos.scenarios.common import Background, Injected, Scenario, back_to_ready, readiness_flips
from tests.chaos.workload import Workload


def broker_pause(hold_sec: float) -> Scenario:
    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        refused_before = Counter(workload.sent.refusals)
        # A steady stream that spans the pause, so ingest requests meet the frozen broker.
        crm = Background(lambda: workload.send_crm_activity(200, batch=10, pause_sec=hold_sec / 20))
        added = workload.add_mail(10)
        time.sleep(0.3)
        cluster.pause_broker()
        paused_at = time.monotonic()
        try:
            problems = readiness_flips(cluster, "kafka", expect=False)
            time.sleep(max(0.0, hold_sec - (time.monotonic() - paused_at)))
        finally:
            cluster.resume_broker()
        ended = time.monotonic()
        problems += back_to_ready(cluster)
        events = crm.join() + added
        # Not judged: a short pause is within the gateway's produce timeout, so it may just wait.
        refused = workload.sent.refusals - refused_before
        return Injected(
            f"broker SIGSTOP {hold_sec:g}s, SIGCONT",
            events,
            problems,
            ended_at=ended,
            details="CRM ingest refusals while paused: "
            + (", ".join(f"{k}: {v}" for k, v in refused.items()) or "none (it waited for the broker)"),
        )

    return scenario


def postgres_restart(hold_sec: float) -> Scenario:
    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        crm = Background(lambda: workload.send_crm_activity(200, batch=20))
        added = workload.add_mail(10)
        time.sleep(0.3)
        cluster.stop_postgres()
        stopped_at = time.monotonic()
        try:
            problems = readiness_flips(cluster, "postgres", expect=False)
            time.sleep(max(0.0, hold_sec - (time.monotonic() - stopped_at)))
        finally:
            cluster.start_postgres()
        ended = time.monotonic()
        problems += back_to_ready(cluster)
        events = crm.join() + added
        return Injected(
            f"PostgreSQL stopped {hold_sec:g}s, started on the same data", events, problems, ended_at=ended
        )

    return scenario


def cold_start_without_postgres(cluster: ChaosCluster, workload: Workload) -> Injected:
    """PostgreSQL is down and every service is SIGKILLed (the gateway too, with CRM batches in
    flight) and started again: each must either exit with an error (for its supervisor to restart
    it) or stay up and not ready; once PostgreSQL is back, fresh starts must become ready and the
    store must hold the ground truth."""
    crm = Background(lambda: workload.send_crm_activity(100, batch=10))
    time.sleep(0.5)
    cluster.stop_postgres()
    outcomes = []
    try:
        for name in SERVICES:
            cluster.kill(name)
            cluster.start_service(name, wait_ready=False)
        deadline = time.monotonic() + 30
        for name in SERVICES:
            process = cluster.services[name].process
            assert process is not None
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            code = process.poll()
            if code is None:
                outcomes.append(f"{name} up, {'READY' if cluster.ready(name) else 'not ready'}")
            else:
                outcomes.append(f"{name} exited {code}")
                cluster.services[name].process = None
    finally:
        cluster.start_postgres()
    ended = time.monotonic()
    problems = [o for o in outcomes if o.endswith("READY") or o.endswith("exited 0")]
    for name in SERVICES:
        if cluster.services[name].process is None:
            cluster.start_service(name)
    problems += back_to_ready(cluster)
    events = crm.join()
    return Injected(
        "PostgreSQL down; SIGKILL and start every service",
        events,
        problems,
        ended_at=ended,
        details="without PostgreSQL: " + ", ".join(outcomes),
    )
