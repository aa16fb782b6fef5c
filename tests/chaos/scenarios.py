"""The fault scenarios. Each injects its faults while the workload runs and returns what it did;
`runner.py` then measures how long the platform takes to hold the ground truth again and compares."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import httpx

from tests.chaos.cluster import SERVICES, ChaosCluster
from tests.chaos.faults import (
    dead_letters_with,
    expire_every_cursor,
    malformed_everything,
    produce_poison,
    revoke_credentials,
    throttle_every_mailbox,
)
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


# --- process kills ------------------------------------------------------------------------------


def capture_kill_mid_backfill(cluster: ChaosCluster, workload: Workload) -> Injected:
    """Register the organisation (the backfill starts) and SIGKILL capture once a quarter of it is
    stored; a slower provider makes the backfill long enough to land in."""
    _latency(cluster, 0.06)
    expected = sum(len(v) for v in workload.expected_activities().values())
    workload.set_up()
    landed = _kill_when(cluster, "capture", lambda n: n >= expected // 4, timeout_sec=30)
    _latency(cluster, cluster.emulator_latency_sec)
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
    _latency(cluster, 0.06)
    before = _published(cluster)
    expire_every_cursor(workload)
    added = workload.add_mail(8)
    landed = _wait_published(cluster, before + 6, timeout_sec=30)
    cluster.kill("capture")
    killed = time.monotonic()
    _latency(cluster, cluster.emulator_latency_sec)
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
    landed = _kill_when(cluster, "capture", lambda n: n > before, timeout_sec=20) - before
    killed = time.monotonic()
    problems = [] if 0 < landed < added else [f"the kill landed at {landed}/{added} of the incremental sync"]
    cluster.start_service("capture")
    return Injected(f"SIGKILL capture at {landed}/{added} new items", added, problems, ended_at=killed)


def scoring_kill(burst: int = 400) -> Scenario:
    """SIGKILL scoring in the middle of a burst of CRM batches and new mail: once a random share of
    the burst is applied, plus a random fraction of a batch cycle, so the kill lands anywhere in it
    (fetching, inside the transaction, between the database commit and the offset commit)."""

    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        base = asyncio.run(_crm_applied(cluster))
        share = workload.rng.uniform(0.1, 0.8)
        crm = Background(lambda: workload.send_crm_activity(burst, batch=20))
        added = workload.add_mail(10)
        deadline = time.monotonic() + 60
        applied = base
        while applied - base < share * burst and time.monotonic() < deadline:
            time.sleep(0.01)
            applied = asyncio.run(_crm_applied(cluster))
        time.sleep(workload.rng.uniform(0.0, 0.3))
        acknowledged = workload.sent.total + workload.accounts_sent
        at_kill = asyncio.run(_crm_applied(cluster))
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


async def _crm_applied(cluster: ChaosCluster) -> int:
    conn = await asyncpg.connect(cluster.database_url, timeout=5)
    try:
        count = await conn.fetchval(
            "SELECT count(*) FROM scoring.processed_events WHERE tenant_id = $1", TENANT
        )
        return int(count)
    finally:
        await conn.close()


def _gateway_without_scoring(cluster: ChaosCluster) -> list[str]:
    """With its upstream gone the gateway reports not-ready (check "scoring") and answers reads that
    need scoring with 503 + Retry-After, never a 500; CRM ingest does not need scoring and goes on."""
    problems = _readiness_flips(cluster, "scoring", expect=False, services=("gateway",))
    answer = httpx.get(
        f"{cluster.gateway_url}/v1/reps/rep-rep0001/score",
        headers={"Authorization": f"Bearer {cluster.admin_key}"},
        timeout=15,
    )
    if answer.status_code != 503 or "Retry-After" not in answer.headers:
        problems.append(f"a score read without scoring answered {answer.status_code}, not 503 + Retry-After")
    return problems


# --- infrastructure -----------------------------------------------------------------------------


def broker_pause(hold_sec: float) -> Scenario:
    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        crm = Background(lambda: workload.send_crm_activity(200, batch=20))
        added = workload.add_mail(10)
        time.sleep(0.3)
        cluster.pause_broker()
        paused_at = time.monotonic()
        try:
            problems = _readiness_flips(cluster, "kafka", expect=False)
            time.sleep(max(0.0, hold_sec - (time.monotonic() - paused_at)))
        finally:
            cluster.resume_broker()
        ended = time.monotonic()
        problems += _back_to_ready(cluster)
        events = crm.join() + added
        return Injected(f"broker SIGSTOP {hold_sec:g}s, SIGCONT", events, problems, ended_at=ended)

    return scenario


def postgres_restart(hold_sec: float) -> Scenario:
    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        crm = Background(lambda: workload.send_crm_activity(200, batch=20))
        added = workload.add_mail(10)
        time.sleep(0.3)
        cluster.stop_postgres()
        stopped_at = time.monotonic()
        try:
            problems = _readiness_flips(cluster, "postgres", expect=False)
            time.sleep(max(0.0, hold_sec - (time.monotonic() - stopped_at)))
        finally:
            cluster.start_postgres()
        ended = time.monotonic()
        problems += _back_to_ready(cluster)
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
    problems += _back_to_ready(cluster)
    events = crm.join()
    return Injected(
        "PostgreSQL down; SIGKILL and start every service",
        events,
        problems,
        ended_at=ended,
        details="without PostgreSQL: " + ", ".join(outcomes),
    )


# --- provider faults ----------------------------------------------------------------------------


def provider_throttle(status: int) -> Scenario:
    def scenario(cluster: ChaosCluster, workload: Workload) -> Injected:
        count = 20 if status == 429 else 6
        faults = throttle_every_mailbox(workload, status=status, count=count, retry_after=0.3)
        added = workload.add_mail(12)
        return Injected(f"{faults} x {status} from Graph", added)

    return scenario


def provider_expired_cursors(cluster: ChaosCluster, workload: Workload) -> Injected:
    expired = expire_every_cursor(workload)
    added = workload.add_mail(12)
    return Injected(f"{expired} delta cursors expired (410)", added)


def provider_revoked(cluster: ChaosCluster, workload: Workload) -> Injected:
    revoke_credentials(workload, True)
    try:
        added = workload.add_mail(12)
        problems: list[str] = []
        deadline = time.monotonic() + 20
        while "error" not in workload.sync_states().values():
            if time.monotonic() > deadline:
                problems.append("no mailbox reported the revoked credentials")
                break
            time.sleep(0.3)
        if not cluster.ready("capture"):
            problems.append("capture reported not-ready for a provider fault (it must stay ready)")
    finally:
        revoke_credentials(workload, False)
    return Injected("client secret revoked (401), restored", added, problems)


# --- bad input ----------------------------------------------------------------------------------


def poison_records(cluster: ChaosCluster, workload: Workload) -> Injected:
    marker, report = asyncio.run(produce_poison(cluster))
    crm = workload.send_crm_activity(40)
    added = workload.add_mail(5)
    keyed = sum(1 for topic in report.produced if topic in CONSUMED) * 4  # the keyed poison of each

    def dead_lettered() -> list[str]:
        found = asyncio.run(dead_letters_with(cluster, marker))
        return [] if found >= keyed else [f"{found} of {keyed} poison records reached the dead-letter topic"]

    produced = sum(report.produced.values())
    return Injected(
        f"{produced} poison records on {len(report.produced)} topics",
        crm + added + produced,
        [],
        dead_lettered,
    )


def malformed_requests(cluster: ChaosCluster, workload: Workload) -> Injected:
    report = malformed_everything(cluster)
    crm = workload.send_crm_activity(20)
    problems = [f"{len(report.server_errors)} server errors, e.g. {report.server_errors[:3]}"]
    problems = problems if report.server_errors else []
    for name in SERVICES:
        if not cluster.ready(name):
            problems.append(f"{name} not ready after the malformed requests")
    return Injected(
        f"{report.requests} malformed requests (REST, gRPC, webhooks)",
        crm,
        problems,
        details=f"answers: {_statuses(report.statuses)}",
    )


# --- helpers ------------------------------------------------------------------------------------


def _latency(cluster: ChaosCluster, seconds: float) -> None:
    httpx.post(
        f"{cluster.emulators.control_url}/microsoft/faults/latency", json={"seconds": seconds}, timeout=10
    ).raise_for_status()


def _kill_when(cluster: ChaosCluster, name: str, stored: Callable[[int], bool], *, timeout_sec: float) -> int:
    deadline = time.monotonic() + timeout_sec
    count = stored_count(cluster)
    while not stored(count) and time.monotonic() < deadline:
        time.sleep(0.02)
        count = stored_count(cluster)
    cluster.kill(name)
    return count


def _published(cluster: ChaosCluster) -> int:
    """Provider pages capture has processed and committed (its metrics)."""
    return _metric_sum(cluster, "capture", "gt_capture_pages_total")


def _wait_published(cluster: ChaosCluster, target: int, *, timeout_sec: float) -> int:
    deadline = time.monotonic() + timeout_sec
    count = _published(cluster)
    while count < target and time.monotonic() < deadline:
        time.sleep(0.02)
        count = _published(cluster)
    return count


def _metric_sum(cluster: ChaosCluster, service: str, metric: str) -> int:
    url = f"http://127.0.0.1:{cluster.services[service].http_port}/metrics"
    text = httpx.get(url, timeout=5).text
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(metric)))


def _readiness_flips(
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


def _back_to_ready(cluster: ChaosCluster, timeout_sec: float = 90) -> list[str]:
    problems = []
    for name in SERVICES:
        try:
            cluster.wait_ready(name, timeout_sec=timeout_sec)
        except (TimeoutError, RuntimeError) as exc:
            problems.append(f"{name} did not become ready again: {exc}")
            cluster.ensure_running()
    return problems


def _statuses(statuses: dict[str, int]) -> str:
    return " ".join(f"{k}:{v}" for k, v in sorted(statuses.items()))
