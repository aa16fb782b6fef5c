"""The emulator's whole state: organisations, issued tokens, delta tokens, faults, subscriptions, and a
request log for measurements. Graph, Entra and the control API all read and change this one object.

Everything runs on one event loop, so no locks are needed.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.sandbox.emulators.microsoft.delta import DeltaTokens
from services.sandbox.emulators.microsoft.items import ChangeListener
from services.sandbox.emulators.microsoft.model import App, Item, Mailbox, Organisation
from services.sandbox.emulators.microsoft.subscriptions import Subscriptions

ACCESS_TOKEN_LIFETIME_SEC = 3599


@dataclass
class Grant:
    tenant_id: str
    client_id: str
    expires_monotonic: float


@dataclass
class MailboxFaults:
    """Faults armed for one mailbox; each is consumed by the Graph requests that trigger it."""

    throttles: deque[tuple[int, float | None]] = field(default_factory=deque)  # (status, Retry-After)
    always_expire: bool = False
    denied: bool = False
    empty_pages: int = 0
    replay: int = 0


@dataclass(frozen=True)
class RequestRecord:
    at_monotonic: float
    mailbox: str
    operation: str  # "delta:inbox", "delta:calendar", "get:message", "subscription:create", ...
    status: int


@dataclass
class EmulatorState:
    orgs: dict[str, Organisation] = field(default_factory=dict)  # by tenant id and by domain
    grants: dict[str, Grant] = field(default_factory=dict)
    delta_tokens: DeltaTokens = field(default_factory=DeltaTokens)
    faults: dict[str, MailboxFaults] = field(default_factory=dict)
    subscriptions: Subscriptions = field(default_factory=Subscriptions)
    requests: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=500_000))
    token_requests: int = 0
    latency_sec: float = 0.0  # added to every Graph answer, like a real network round trip

    def add_org(self, org: Organisation) -> None:
        self.orgs[org.tenant_id.lower()] = org
        self.orgs[org.domain.lower()] = org

    def org(self, tenant: str) -> Organisation | None:
        return self.orgs.get(tenant.lower())

    def find_mailbox(self, upn: str) -> tuple[Organisation, Mailbox]:
        for org in self.orgs.values():
            mailbox = org.mailbox(upn)
            if mailbox is not None:
                return org, mailbox
        raise KeyError(upn)

    def find_app(self, client_id: str) -> App:
        for org in self.orgs.values():
            if client_id in org.apps:
                return org.apps[client_id]
        raise KeyError(client_id)

    def faults_for(self, mailbox: str) -> MailboxFaults:
        return self.faults.setdefault(mailbox.lower(), MailboxFaults())

    def issue_access_token(self, tenant_id: str, client_id: str) -> str:
        token = "eyJ0eXAiOiJKV1QifQ." + secrets.token_urlsafe(32)
        self.grants[token] = Grant(tenant_id, client_id, time.monotonic() + ACCESS_TOKEN_LIFETIME_SEC)
        return token

    def grant_for(self, authorization: str | None) -> Grant | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        grant = self.grants.get(authorization[len("Bearer ") :].strip())
        if grant is None or grant.expires_monotonic < time.monotonic():
            return None
        org = self.org(grant.tenant_id)
        app = org.apps.get(grant.client_id) if org else None
        if app is None or app.revoked:
            return None
        return grant

    def record(self, mailbox: str, operation: str, status: int) -> None:
        self.requests.append(RequestRecord(time.monotonic(), mailbox.lower(), operation, status))

    def change_listener(self) -> ChangeListener:
        def listener(mailbox: Mailbox, item: Item, change_type: str) -> None:
            org, _ = self.find_mailbox(mailbox.upn)
            self.subscriptions.on_change(org, mailbox, item, change_type)

        return listener


def utcnow() -> datetime:
    return datetime.now(UTC)
