"""The known workload and its ground truth.

The Microsoft emulator holds a seeded organisation (its mailboxes are what capture backfills); the
workload adds mail to it while the platform runs (incremental sync) and sends CRM events through the
gateway's REST API the way a plugin does: every batch with an Idempotency-Key, retried with the same
key after a 503, a timeout or a refused connection (at-least-once from the client's side).

The ground truth is what a correct platform must end up with: the activities the emulator's mailboxes
hold that capture must keep (external, not drafts, not private, meetings inside the calendar window,
decided from the emulator's own state with the rules stated plainly), and the CRM events that were
acknowledged with a 202.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from services.capture.domain.identity import activity_id
from services.capture.domain.window import calendar_window
from services.sandbox.emulators.microsoft.org import CUSTOMER_DOMAINS
from tests.chaos.cluster import TENANT, ChaosCluster

__all__ = ["TENANT", "Workload"]
CONNECTION = "chaos-microsoft"
RETRYABLE = {429, 502, 503, 504}


@dataclass
class Sent:
    """CRM events acknowledged by the gateway, per rep."""

    logins: Counter[str] = field(default_factory=Counter)
    manual_logs: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    # What the gateway answered instead of 202 (status code, or "no answer"), before a retry.
    refusals: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.logins.values()) + sum(self.manual_logs.values())


class Workload:
    """Drives the cluster and knows what it must hold; see the module docstring."""

    def __init__(self, cluster: ChaosCluster, *, seed: int = 7) -> None:
        self.cluster = cluster
        self.rng = random.Random(seed)
        microsoft = cluster.emulators.description["emulators"]
        assert isinstance(microsoft, dict)
        org = microsoft["microsoft"]["organisations"][0]
        self.directory_tenant = str(org["tenant_id"])
        self.domain = str(org["domain"])
        self.app = org["apps"][0]
        seeded = [f"rep{i:04d}@{self.domain}" for i in range(1, int(org["mailboxes"]) + 1)]
        # Registered with capture (and part of the ground truth); the reserve waits for a scenario.
        self.mailboxes, self.reserve = seeded[: cluster.mailboxes], seeded[cluster.mailboxes :]
        self.sent = Sent()
        self.items_added = 0
        self.accounts_sent = 0
        # Items served hostile on purpose ((mailbox, item id)): quarantined, so not part of the truth.
        self.poisoned: set[tuple[str, str]] = set()
        self._sequence = itertools.count(1)
        self._http = httpx.Client(timeout=15, trust_env=False)
        self._tally_lock = threading.Lock()  # several senders may run at once

    def close(self) -> None:
        self._http.close()

    @staticmethod
    def rep_of(mailbox: str) -> str:
        return "rep-" + mailbox.split("@")[0]

    @property
    def reps(self) -> list[str]:
        return [self.rep_of(m) for m in self.mailboxes]

    # --- setup ----------------------------------------------------------------------------------

    def set_up(self) -> None:
        """Accounts for every customer domain (so captured mail matches), then capture's registration
        (which starts the backfill)."""
        now = _iso(datetime.now(UTC))
        accounts = [
            {
                "type": "record_upserted",
                "object_type": "account",
                "crm_id": f"acct-{domain.split('.')[0]}",
                "name": domain,
                "domains": [domain],
                "owner_rep_id": self.reps[n % len(self.reps)],
                "modified_at": now,
            }
            for n, domain in enumerate(CUSTOMER_DOMAINS)
        ]
        self.post_crm_events(accounts)
        self.accounts_sent += len(accounts)
        self.register_capture()

    def register_reserve(self) -> int:
        """Register the reserve mailboxes (a fresh backfill starts); returns the activities they add."""
        before = sum(len(ids) for ids in self.expected_activities().values())
        self.mailboxes, self.reserve = self.mailboxes + self.reserve, []
        self.register_capture()
        return sum(len(ids) for ids in self.expected_activities().values()) - before

    def _capture_channel(self) -> grpc.Channel:
        """capture's internal gRPC, over mutual TLS with the run's client certificate."""
        tls = self.cluster.mesh.tls("client")
        return grpc.secure_channel(self.cluster.grpc_target("capture"), tls.channel_credentials())

    def register_capture(self) -> None:
        with self._capture_channel() as channel:
            admin = capture_pb2_grpc.CaptureAdminStub(channel)
            admin.SetCapturePolicy(
                capture_pb2.SetCapturePolicyRequest(
                    policy=capture_pb2.CapturePolicy(tenant_id=TENANT, internal_domains=[self.domain])
                ),
                timeout=10,
            )
            admin.RegisterMicrosoftConnection(
                capture_pb2.RegisterMicrosoftConnectionRequest(
                    tenant_id=TENANT,
                    connection_id=CONNECTION,
                    directory_tenant_id=self.directory_tenant,
                    client_id=str(self.app["client_id"]),
                    client_secret=str(self.app["client_secret"]),
                ),
                timeout=10,
            )
            admin.UpsertMailboxes(
                capture_pb2.UpsertMailboxesRequest(
                    tenant_id=TENANT,
                    connection_id=CONNECTION,
                    mailboxes=[
                        capture_pb2.MailboxAssignment(address=m, rep_id=self.rep_of(m))
                        for m in self.mailboxes
                    ],
                ),
                timeout=10,
            )

    def sync_states(self) -> dict[str, str]:
        return {m: s.state for m, s in self.sync_statuses().items()}

    def sync_statuses(self) -> dict[str, capture_pb2.MailboxStatus]:
        with self._capture_channel() as channel:
            admin = capture_pb2_grpc.CaptureAdminStub(channel)
            answer = admin.GetSyncStatus(capture_pb2.GetSyncStatusRequest(tenant_id=TENANT), timeout=10)
            return {s.mailbox: s for s in answer.mailboxes}

    def trigger_sync(self, mailbox: str) -> None:
        with self._capture_channel() as channel:
            admin = capture_pb2_grpc.CaptureAdminStub(channel)
            admin.TriggerSync(capture_pb2.TriggerSyncRequest(tenant_id=TENANT, mailbox=mailbox), timeout=10)

    def add_poisoned_mail(self, count: int, hostile: list[dict[str, Any]]) -> int:
        """`count` new customer messages, each served hostile (`hostile[i % len]`, replacing Graph
        properties): capture must quarantine them and let the rest flow. Returns how many."""
        for i in range(count):
            mailbox = self.rng.choice(self.mailboxes)
            body = {
                "folder": "inbox",
                "sender": f"buyer{self.rng.randrange(1000)}@{self.rng.choice(CUSTOMER_DOMAINS)}",
                "to": [mailbox],
                "subject": f"chaos poison {next(self._sequence)}",
            }
            base = f"{self.cluster.emulators.control_url}/microsoft/mailboxes/{mailbox}"
            answer = self._http.post(f"{base}/messages", json=body)
            answer.raise_for_status()
            item_id = str(answer.json()["id"])
            self.poisoned.add((mailbox, item_id))
            # Escaped JSON (ensure_ascii): a lone surrogate travels as "\\ud800", as a provider sends it.
            poison = json.dumps({"replace": hostile[i % len(hostile)]})
            headers = {"Content-Type": "application/json"}
            self._http.post(
                f"{base}/items/{item_id}/poison", content=poison, headers=headers
            ).raise_for_status()
        return count

    # --- incremental changes in the provider ----------------------------------------------------

    def add_mail(self, count: int) -> int:
        """New customer mail in random mailboxes (what the incremental sync must pick up)."""
        for _ in range(count):
            mailbox = self.rng.choice(self.mailboxes)
            customer = f"buyer{self.rng.randrange(1000)}@{self.rng.choice(CUSTOMER_DOMAINS)}"
            sent = self.rng.random() < 0.5
            body = {
                "folder": "sentitems" if sent else "inbox",
                "sender": mailbox if sent else customer,
                "to": [customer] if sent else [mailbox],
                "subject": f"chaos {next(self._sequence)}",
            }
            url = f"{self.cluster.emulators.control_url}/microsoft/mailboxes/{mailbox}/messages"
            self._http.post(url, json=body).raise_for_status()
        self.items_added += count
        return count

    # --- CRM events through the gateway ---------------------------------------------------------

    def send_crm_activity(self, count: int, *, batch: int = 50, pause_sec: float = 0.0) -> int:
        """`count` CRM events (logins and manual logs, unique content), in batches of `batch`,
        `pause_sec` apart (a plugin's steady stream rather than one burst)."""
        events: list[dict[str, Any]] = []
        tally: list[tuple[str, str]] = []
        base = datetime.now(UTC) - timedelta(days=2)
        for _ in range(count):
            n = next(self._sequence)
            rep = self.rng.choice(self.reps)
            at = base + timedelta(seconds=n)
            if self.rng.random() < 0.5:
                events.append({"type": "user_login", "rep_id": rep, "login_at": _iso(at)})
                tally.append(("login", rep))
            else:
                events.append(
                    {
                        "type": "activity_logged",
                        "rep_id": rep,
                        "crm_activity_id": f"log-{n}",
                        "kind": self.rng.choice(["email", "meeting", "call"]),
                        "activity_occurred_at": _iso(at - timedelta(hours=3)),
                        "logged_at": _iso(at),
                    }
                )
                tally.append(("log", rep))
        for start in range(0, len(events), batch):
            self.post_crm_events(events[start : start + batch])
            with self._tally_lock:
                for kind, rep in tally[start : start + batch]:
                    (self.sent.logins if kind == "login" else self.sent.manual_logs)[rep] += 1
            if pause_sec:
                time.sleep(pause_sec)
        return count

    def post_crm_events(self, events: list[dict[str, Any]], *, deadline_sec: float = 180.0) -> None:
        """POST until the gateway acknowledges (202), retrying with the same Idempotency-Key."""
        key = uuid.uuid4().hex
        deadline = time.monotonic() + deadline_sec
        while True:
            try:
                answer = self._http.post(
                    f"{self.cluster.gateway_url}/v1/crm/events",
                    json={"events": events},
                    headers={"Authorization": f"Bearer {self.cluster.plugin_key}", "Idempotency-Key": key},
                )
                if answer.status_code == 202:
                    body = answer.json()
                    if body["rejected"]:
                        raise AssertionError(f"the gateway rejected valid events: {body}")
                    return
                if answer.status_code not in RETRYABLE and answer.status_code != 409:
                    raise AssertionError(f"CRM ingest answered {answer.status_code}: {answer.text}")
                refusal = str(answer.status_code)
                if answer.status_code == 503 and "Retry-After" not in answer.headers:
                    refusal = "503 without Retry-After"
            except httpx.TransportError:
                refusal = "no answer"
            with self._tally_lock:
                self.sent.refusals[refusal] += 1
                self.sent.retries += 1
            if time.monotonic() > deadline:
                raise TimeoutError("the gateway never acknowledged a CRM batch")
            time.sleep(0.5)

    # --- the ground truth -----------------------------------------------------------------------

    def truth(self, mailbox: str) -> dict[str, list[dict[str, Any]]]:
        url = f"{self.cluster.emulators.control_url}/microsoft/mailboxes/{mailbox}"
        answer = self._http.get(url)
        answer.raise_for_status()
        result: dict[str, list[dict[str, Any]]] = answer.json()
        return result

    def expected_activities(self) -> dict[str, set[str]]:
        """Activity ids capture must deliver, per rep."""
        window = calendar_window(datetime.now(UTC), days_back=30, days_ahead=90, step_days=7)
        out: dict[str, set[str]] = {}
        for mailbox in self.mailboxes:
            truth = self.truth(mailbox)
            wanted: set[str] = set()
            for folder in ("inbox", "sentitems"):
                for m in truth.get(folder, []):
                    people = _addresses(m, "from", "toRecipients", "ccRecipients")
                    if (mailbox, m["id"]) in self.poisoned:
                        continue  # quarantined by design: never an activity
                    if not m["isDraft"] and self._external(people):
                        wanted.add(m["id"])
            for e in truth.get("calendar", []):
                start = datetime.fromisoformat(e["start"]["dateTime"]).replace(tzinfo=UTC)
                end = datetime.fromisoformat(e["end"]["dateTime"]).replace(tzinfo=UTC)
                people = _addresses(e, "organizer") + [
                    a["emailAddress"]["address"].lower() for a in e["attendees"]
                ]
                if e["sensitivity"] == "normal" and window.contains(start, end) and self._external(people):
                    wanted.add(e["id"])
            out[self.rep_of(mailbox)] = {
                activity_id(
                    tenant_id=TENANT, provider=activity_pb2.PROVIDER_MICROSOFT, mailbox=mailbox, item_id=i
                )
                for i in wanted
            }
        return out

    def _external(self, addresses: list[str]) -> bool:
        return any(not a.endswith("@" + self.domain) and not a.endswith("." + self.domain) for a in addresses)


def _addresses(item: dict[str, Any], *keys: str) -> list[str]:
    out: list[str] = []
    for key in keys:
        value = item.get(key)
        values = value if isinstance(value, list) else [value] if value else []
        out += [v["emailAddress"]["address"].lower() for v in values]
    return out


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
