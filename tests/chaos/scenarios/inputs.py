"""Provider faults (through the emulator's control API), poison records and malformed requests."""

from __future__ import annotations

import asyncio
import time

from tests.chaos.cluster import SERVICES, ChaosCluster
from tests.chaos.faults import (
    dead_letters_with,
    expire_every_cursor,
    malformed_everything,
    produce_poison,
    revoke_credentials,
    throttle_every_mailbox,
)
from tests.chaos.scenarios.common import CONSUMED, Injected, Scenario, statuses
from tests.chaos.workload import Workload


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
        details=f"answers: {statuses(report.statuses)}",
    )
