"""A seeded, deterministic organisation: the same spec always yields the same mailboxes and items."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.sandbox.emulators.microsoft.items import new_event, new_message
from services.sandbox.emulators.microsoft.model import App, Mailbox, Organisation

CUSTOMER_DOMAINS = (
    "northwind.example",
    "fabrikam.example",
    "adatum.example",
    "tailspin.example",
    "litware.example",
)
_FIRST = ("ada", "ben", "chloe", "dev", "elif", "farid", "gita", "hugo", "ines", "jon", "kemi", "lars")
_LAST = ("ng", "ortiz", "park", "quinn", "rossi", "singh", "tanaka", "ueda", "vance", "wolf")
_TOPICS = (
    "Renewal",
    "Pricing",
    "Security review",
    "Pilot scope",
    "Kick-off",
    "Invoice",
    "Roadmap",
    "Contract",
)


def today_utc() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class OrgSpec:
    seed: int = 7
    domain: str = "contoso.example"
    mailboxes: int = 3
    messages_per_mailbox: int = 20
    events_per_mailbox: int = 8
    internal_share: float = 0.15  # share of items with no external participant
    private_share: float = 0.1  # share of events marked private
    history_days: int = 20  # mail spreads over this many days before `anchor`
    anchor: datetime = field(default_factory=today_utc)
    apps: tuple[tuple[str, str], ...] = (("11111111-2222-3333-4444-555555555555", "demo-client-secret"),)
    first_mailbox: int = 1

    @property
    def tenant_id(self) -> str:
        return str(
            uuid.UUID(int=random.Random(f"tenant:{self.seed}:{self.domain}").getrandbits(128), version=4)
        )

    def upn(self, index: int) -> str:
        return f"rep{index:04d}@{self.domain}"


def build_org(spec: OrgSpec) -> Organisation:
    org = Organisation(tenant_id=spec.tenant_id, domain=spec.domain)
    for client_id, secret in spec.apps:
        org.apps[client_id] = App(client_id=client_id, secret=secret)
    for index in range(spec.first_mailbox, spec.first_mailbox + spec.mailboxes):
        mailbox = add_user(org, spec.upn(index), seed=f"{spec.seed}:{index}")
        _seed_mailbox(mailbox, spec, random.Random(f"{spec.seed}:{index}"))
    return org


def add_user(org: Organisation, upn: str, *, seed: str = "") -> Mailbox:
    user_id = str(uuid.UUID(int=random.Random(f"user:{seed}:{upn}").getrandbits(128), version=4))
    local = upn.split("@")[0]
    mailbox = Mailbox(user_id=user_id, upn=upn.lower(), display_name=local.replace(".", " ").title())
    org.mailboxes[mailbox.upn] = mailbox
    return mailbox


def _person(rng: random.Random, domain: str) -> str:
    return f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}@{domain}"


def _seed_mailbox(mailbox: Mailbox, spec: OrgSpec, rng: random.Random) -> None:
    for n in range(spec.messages_per_mailbox):
        internal = rng.random() < spec.internal_share
        other = _person(rng, spec.domain if internal else rng.choice(CUSTOMER_DOMAINS))
        colleague = _person(rng, spec.domain)
        sent_at = spec.anchor - timedelta(days=rng.uniform(0.1, spec.history_days))
        subject = f"{rng.choice(_TOPICS)} #{n}"
        if rng.random() < 0.6:
            new_message(
                mailbox,
                folder="inbox",
                sender=other,
                to=[mailbox.upn],
                cc=[colleague] if rng.random() < 0.3 else [],
                subject=subject,
                sent_at=sent_at,
                body=f"Hello, about {subject}.",
            )
        else:
            new_message(
                mailbox,
                folder="sentitems",
                sender=mailbox.upn,
                to=[other],
                subject=f"RE: {subject}",
                sent_at=sent_at,
                body="Thanks, see attached.",
            )
    for n in range(spec.events_per_mailbox):
        internal = rng.random() < spec.internal_share
        guest = _person(rng, spec.domain if internal else rng.choice(CUSTOMER_DOMAINS))
        start = spec.anchor + timedelta(days=rng.randint(-14, 28), hours=rng.randint(8, 17))
        organizer = mailbox.upn if rng.random() < 0.7 else guest
        new_event(
            mailbox,
            organizer=organizer,
            attendees=[guest if organizer == mailbox.upn else mailbox.upn],
            start=start,
            end=start + timedelta(minutes=rng.choice((30, 45, 60))),
            subject=f"{rng.choice(_TOPICS)} call #{n}",
            body="Agenda: confidential notes that must never be captured.",
            sensitivity="private" if rng.random() < spec.private_share else "normal",
        )
