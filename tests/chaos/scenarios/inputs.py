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
    provider_fault,
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


# Graph items a provider we were not written against might serve (see docs/capture.md, quarantine).
HOSTILE_ITEMS: list[dict[str, object]] = [
    {"receivedDateTime": "not a date"},
    {"receivedDateTime": "1601-01-01T00:00:00Z"},
    {"from": None, "sender": None},
    {"subject": "half a surrogate \ud800"},
    {"toRecipients": "everyone"},
]


def poison_item(cluster: ChaosCluster, workload: Workload) -> Injected:
    """Hostile items between good ones in the same mailboxes: every good item must still arrive
    (the comparison), each hostile one is counted as rejected, and no mailbox stops."""
    before = sum(s.items_rejected for s in workload.sync_statuses().values())
    added = workload.add_mail(6)
    poisoned = workload.add_poisoned_mail(len(HOSTILE_ITEMS), HOSTILE_ITEMS)
    added += workload.add_mail(6)

    def quarantined() -> list[str]:
        statuses = workload.sync_statuses()
        problems = [f"{m} is {s.state} ({s.last_error})" for m, s in statuses.items() if s.state == "error"]
        rejected = sum(s.items_rejected for s in statuses.values()) - before
        if rejected < poisoned:
            problems.append(f"{rejected} of {poisoned} hostile items reported as rejected")
        return problems

    return Injected(f"{poisoned} hostile Graph items among {added} good ones", added, [], quarantined)


def stalled_chain(cluster: ChaosCluster, workload: Workload) -> Injected:
    """One mailbox's delta chain answers empty pages with a nextLink forever: it must read `stale`
    (never `syncing` for ever), the others flow; once the provider behaves, nothing is lost."""
    mailbox = workload.mailboxes[0]
    provider_fault(cluster, "empty-pages", {"mailbox": mailbox, "count": 1_000_000})
    problems: list[str] = []
    try:
        added = workload.add_mail(12)
        workload.trigger_sync(mailbox)
        deadline = time.monotonic() + 30
        while workload.sync_states().get(mailbox) != "stale":
            if time.monotonic() > deadline:
                problems.append(f"the stalled mailbox reads {workload.sync_states().get(mailbox)}, not stale")
                break
            time.sleep(0.3)
    finally:
        provider_fault(cluster, "empty-pages", {"mailbox": mailbox, "reset": True})
    workload.trigger_sync(mailbox)
    return Injected("one mailbox's delta chain: endless empty pages, then healed", added, problems)


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
