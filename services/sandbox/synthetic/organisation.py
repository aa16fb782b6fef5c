"""A deterministic synthetic sales organisation: teams of reps with known habits, their CRM and their
mailboxes, as the events scoring consumes.

Used by the scenario tests (each archetype must be classified and diagnosed as documented), by the
benchmark (10,000 reps) and as the demo organisation. The same spec and seed always give the same
events; each rep's behaviour depends only on the seed and the rep's id, not on how many reps exist.

Teams cycle through three patterns:
- "healthy": adopters, a Friday bulk-logger and a rep whose mailbox stopped syncing, a manager who
  uses the CRM;
- "friction": an adopter, a skeptic, a ghost and a bulk-logger; nobody fills the required field
  Budget, and the manager never opens the CRM;
- "unlogged": ghosts and skeptics: plenty of customer meetings, almost nothing logged, and every
  open deal left in the first stage.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from services.sandbox.synthetic import events as ev

Event = crm_pb2.CrmEvent | activity_pb2.Activity
STAGES = ("Qualify", "Propose", "Negotiate", "Closed Won", "Closed Lost")
REQUIRED_FIELDS = ("Budget", "NextStep")


class Archetype(StrEnum):
    ADOPTER = "adopter"
    GHOST = "ghost"
    BULK_LOGGER = "bulk_logger"  # logs the whole week's meetings on Friday afternoon
    SKEPTIC = "skeptic"  # logs in every day, never changes anything
    SILENT_MAILBOX = "silent_mailbox"  # works like an adopter, but capture stopped a week ago


TEAM_PATTERNS: tuple[tuple[str, tuple[Archetype, ...]], ...] = (
    ("healthy", (Archetype.ADOPTER, Archetype.ADOPTER, Archetype.BULK_LOGGER, Archetype.SILENT_MAILBOX)),
    ("friction", (Archetype.ADOPTER, Archetype.SKEPTIC, Archetype.GHOST, Archetype.BULK_LOGGER)),
    ("unlogged", (Archetype.GHOST, Archetype.SKEPTIC, Archetype.GHOST, Archetype.SKEPTIC)),
)
SILENT_FOR_DAYS = 8
UNKNOWN_PEOPLE_PER_ACCOUNT = 3  # correspondents of an account the CRM has no contact for
# What a rep writes as the next step, by the stage the deal is in.
NEXT_STEPS = {
    "Qualify": ("Discovery call", "Qualify budget with finance", "Intro call with the team lead"),
    "Propose": ("Send proposal", "Demo for the buying committee", "Scope workshop"),
    "Negotiate": ("Pricing call with procurement", "Security review", "Contract redlines"),
}


class Naming(Protocol):
    """How the organisation names its people, teams and customers. Pure and deterministic: the same
    indexes always give the same names. `rep_index` counts reps from 0 across the organisation."""

    def rep_id(self, rep_index: int) -> str: ...

    def team_id(self, team_index: int) -> str: ...

    def team_name(self, team_index: int, pattern: str) -> str: ...

    def manager_id(self, team_index: int) -> str: ...

    def account(self, rep_index: int, n: int) -> tuple[str, str]:
        """The rep's n-th customer account: (name, e-mail domain); domains are unique per account."""
        ...

    def contact(self, rep_index: int, n: int, k: int) -> tuple[str, str]:
        """The k-th contact of that account: (name, local part of the address)."""
        ...


class SyntheticNaming:
    """Plain generated names (rep-00001, team-001, r00001-c0.example): tests and the benchmark."""

    def rep_id(self, rep_index: int) -> str:
        return f"rep-{rep_index + 1:05d}"

    def team_id(self, team_index: int) -> str:
        return f"team-{team_index + 1:03d}"

    def team_name(self, team_index: int, pattern: str) -> str:
        return f"{pattern} {self.team_id(team_index)}"

    def manager_id(self, team_index: int) -> str:
        return f"mgr-{team_index + 1:03d}"

    def account(self, rep_index: int, n: int) -> tuple[str, str]:
        slug = f"r{rep_index + 1:05d}"
        return f"Customer {slug} {n}", f"{slug}-c{n}.example"

    def contact(self, rep_index: int, n: int, k: int) -> tuple[str, str]:
        return f"Person {k} of r{rep_index + 1:05d}-c{n}", f"p{k}"


@dataclass(frozen=True)
class OrganisationSpec:
    tenant_id: str = "demo"
    reps: int = 12
    days: int = 35  # history before today; the go-live date is the first day
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    seed: int = 7
    team_size: int = 4
    meetings_per_day: float = 1.0  # external meetings per rep and business day
    emails_per_day: int = 6  # external e-mails per rep and business day
    domain: str = "acme.example"
    naming: Naming = field(default_factory=SyntheticNaming)


@dataclass(frozen=True)
class Rep:
    rep_id: str
    team_id: str
    pattern: str
    archetype: Archetype
    index: int = 0  # position in the organisation, from 0


@dataclass(frozen=True)
class Team:
    team_id: str
    pattern: str
    manager_rep_id: str
    members: tuple[Rep, ...]
    name: str = ""

    @property
    def manager_uses_crm(self) -> bool:
        return self.pattern != "friction"


def _teams(spec: OrganisationSpec) -> list[Team]:
    teams = []
    names = spec.naming
    for start in range(0, spec.reps, spec.team_size):
        index = start // spec.team_size
        pattern, archetypes = TEAM_PATTERNS[index % len(TEAM_PATTERNS)]
        team_id = names.team_id(index)
        size = min(spec.team_size, spec.reps - start)
        members = tuple(
            Rep(names.rep_id(start + i), team_id, pattern, archetypes[i % len(archetypes)], start + i)
            for i in range(size)
        )
        teams.append(
            Team(team_id, pattern, names.manager_id(index), members, names.team_name(index, pattern))
        )
    return teams


class Organisation:
    def __init__(self, spec: OrganisationSpec) -> None:
        self.spec = spec
        self.teams = _teams(spec)
        self.reps = [rep for team in self.teams for rep in team.members]
        self.go_live = spec.today - timedelta(days=spec.days)

    def rep(self, rep_id: str) -> Rep:
        return next(r for r in self.reps if r.rep_id == rep_id)

    def reps_of(self, archetype: Archetype) -> list[Rep]:
        return [r for r in self.reps if r.archetype is archetype]

    def config(self, version: int = 1) -> crm_pb2.TenantConfig:
        return crm_pb2.TenantConfig(
            version=version,
            internal_domains=[self.spec.domain],
            required_opportunity_fields=list(REQUIRED_FIELDS),
            stages=list(STAGES),
            go_live_date=self.go_live.isoformat(),
            teams=[
                crm_pb2.Team(
                    team_id=t.team_id, name=t.name, manager_rep_id=t.manager_rep_id,
                    member_rep_ids=[r.rep_id for r in t.members],
                )
                for t in self.teams
            ],
            uses_write_back=False,
            window_days=28,
        )  # fmt: skip

    def forecast_of(self, rep_id: str) -> tuple[float, float]:
        """(committed, won) of an adopter's quarter: what their forecast says and the deal they win."""
        book = _Book(self.spec, self.rep(rep_id))
        for _ in book.setup(datetime.combine(self.go_live, time(6), tzinfo=UTC)):
            pass
        return book.won_deal()

    def events(self) -> Iterator[Event]:
        """Every event in the order it happened: the CRM before go-live, then day by day."""
        start = datetime.combine(self.go_live, time(6), tzinfo=UTC)
        yield ev.tenant_config(tenant_id=self.spec.tenant_id, config=self.config(), at=start)
        books = {rep.rep_id: _Book(self.spec, rep) for rep in self.reps}
        for book in books.values():
            yield from book.setup(start)
        for offset in range(self.spec.days + 1):
            day = self.go_live + timedelta(days=offset)
            for team in self.teams:
                if team.manager_uses_crm and day.weekday() < 5 and day < self.spec.today:
                    at = datetime.combine(day, time(8, 5), tzinfo=UTC)
                    yield ev.login(tenant_id=self.spec.tenant_id, rep_id=team.manager_rep_id, at=at)
                for rep in team.members:
                    yield from books[rep.rep_id].day(day)


@dataclass
class _Account:
    crm_id: str
    name: str
    domain: str
    contacts: list[tuple[str, str, str]]  # (crm id, name, address)
    opportunity: str | None
    unknown: list[str] = field(default_factory=list)  # addresses of people the CRM does not know


@dataclass
class _Deal:
    """An opportunity's figures: varied per deal, and consistent (a later stage closes sooner)."""

    amount: float
    close_date: date
    next_step: str
    next_step_date: date


def deal_amount(rng: random.Random) -> float:
    """A believable deal size: log-uniform from 6,000 to 240,000, rounded as people quote them."""
    raw = 6000 * (40 ** rng.random())
    step = 500 if raw < 20000 else 1000 if raw < 100000 else 5000
    return float(round(raw / step) * step)


class _Book:
    """One rep's accounts, contacts and deals, and what the rep does with them each day."""

    def __init__(self, spec: OrganisationSpec, rep: Rep) -> None:
        self.spec = spec
        self.rep = rep
        self.tenant = spec.tenant_id
        self.random = random.Random(f"{spec.seed}:{rep.rep_id}")
        self.accounts: list[_Account] = []
        self.unlogged: list[tuple[_Account, datetime]] = []  # bulk-logger's meetings waiting for Friday
        self.stage: dict[str, str] = {}
        self.deals: dict[str, _Deal] = {}
        # Deal figures come from a generator of their own, so they never shift the activity drawn
        # from `self.random` (the scenario tests pin that down).
        self.deal_random = random.Random(f"{spec.seed}:{rep.rep_id}:deals")
        self.counter = 0
        self.updates = 0
        self.unknown_seen = 0
        # Adopters win their second deal a few business days before today.
        self._won_on = _business_day_on_or_before(spec.today - timedelta(days=3))
        slug = f"r{rep.index + 1:05d}"  # CRM ids stay short and unique whatever the rep ids look like
        for n in range(3):
            name, domain = spec.naming.account(rep.index, n)
            contacts = []
            for k in range(2):
                person, local = spec.naming.contact(rep.index, n, k)
                contacts.append((f"{slug}-c{n}-p{k}", person, f"{local}@{domain}"))
            unknown = [
                f"{spec.naming.contact(rep.index, n, 2 + k)[1]}@{domain}"
                for k in range(UNKNOWN_PEOPLE_PER_ACCOUNT)
            ]
            self.accounts.append(
                _Account(
                    f"{slug}-acc{n}", name, domain, contacts, f"{slug}-opp{n}" if n < 2 else None, unknown
                )
            )

    def _id(self, kind: str) -> str:
        self.counter += 1
        return f"{self.rep.rep_id}-{kind}-{self.counter}"

    def setup(self, at: datetime) -> Iterator[Event]:
        t, rep = self.tenant, self.rep.rep_id
        fill_budget = self.rep.pattern != "friction"
        for account in self.accounts:
            yield ev.upsert(tenant_id=t, object_type="account", crm_id=account.crm_id, name=account.name,
                            owner_rep_id=rep, domains=[account.domain], modified_at=at)  # fmt: skip
            for crm_id, name, address in account.contacts:
                yield ev.upsert(tenant_id=t, object_type="contact", crm_id=crm_id, name=name, email=address,
                                account_crm_id=account.crm_id, owner_rep_id=rep, modified_at=at)  # fmt: skip
            if account.opportunity:
                self.stage[account.opportunity] = STAGES[0]
                rng = self.deal_random
                amount = deal_amount(rng)
                self.deals[account.opportunity] = _Deal(
                    amount,
                    self.spec.today + timedelta(days=rng.randint(30, 120)),
                    rng.choice(NEXT_STEPS[STAGES[0]]),
                    at.date() + timedelta(days=rng.randint(3, 10)),
                )
                yield self._opportunity(account, at, budget=f"{amount:.0f}" if fill_budget else "")
        if (self.rep.index + 1) % 10 in (4, 8):  # a probable duplicate of the first account
            first = self.accounts[0]
            yield ev.upsert(
                tenant_id=t, object_type="account", crm_id=f"{first.crm_id}-dup", name=first.name + " Inc.",
                owner_rep_id=rep, domains=[first.domain], modified_at=at,
            )  # fmt: skip

    def _opportunity(self, account: _Account, at: datetime, *, budget: str) -> crm_pb2.CrmEvent:
        assert account.opportunity is not None
        deal = self.deals[account.opportunity]
        return ev.upsert(
            tenant_id=self.tenant, object_type="opportunity", crm_id=account.opportunity,
            name=f"{account.name} deal", owner_rep_id=self.rep.rep_id, account_crm_id=account.crm_id,
            stage=self.stage[account.opportunity], amount=deal.amount, close_date=deal.close_date,
            next_step=deal.next_step, next_step_date=deal.next_step_date,
            fields={"Budget": budget}, contact_roles=[(account.contacts[0][0], "Decision maker", True)],
            modified_by_rep_id=self.rep.rep_id, modified_at=at,
        )  # fmt: skip

    def won_deal(self) -> tuple[float, float]:
        """(committed, won): the forecast an adopter commits and the deal they win."""
        won = self.deals[self.accounts[1].opportunity or ""].amount
        return committed_for(won), won

    def day(self, day: date) -> Iterator[Event]:
        if day.weekday() >= 5:
            return
        archetype = self.rep.archetype
        events: list[Event] = []
        if day == _business_day_on_or_after(self.spec.today - timedelta(days=self.spec.days)):
            events.append(self._forecast(_at(day, 9)))
        if archetype is Archetype.ADOPTER and day == self._won_on:
            events.append(self._close_won(self.accounts[1], _at(day, 12)))
        captured = not (
            archetype is Archetype.SILENT_MAILBOX and day > self.spec.today - timedelta(days=SILENT_FOR_DAYS)
        )
        meetings = self._meetings(day)
        if day >= self.spec.today:
            # History ends yesterday; of today only the calendar is known (meetings are captured when
            # they are scheduled), so nothing is observed after the moment the organisation is built for.
            if captured:
                yield from (meeting for meeting, _ in meetings)
            return
        if captured:
            events += self._emails(day)
            events += [m for m, _ in meetings]
        if archetype in (Archetype.ADOPTER, Archetype.SILENT_MAILBOX, Archetype.SKEPTIC) or (
            archetype is Archetype.BULK_LOGGER and day.weekday() in (0, 4)
        ):
            events.append(ev.login(tenant_id=self.tenant, rep_id=self.rep.rep_id, at=_at(day, 8, 30)))
        if archetype in (Archetype.ADOPTER, Archetype.SILENT_MAILBOX):
            for _meeting, (account, start) in meetings:
                events.append(self._log(start, start + timedelta(minutes=90), account))
            if day.weekday() in (1, 3):
                events += self._updates(day, _at(day, 17))
        elif archetype is Archetype.BULK_LOGGER:
            self.unlogged += [(account, start) for _, (account, start) in meetings]
            if day.weekday() == 4:
                events += [self._log(start, _at(day, 16, 30), account) for account, start in self.unlogged]
                self.unlogged = []
            if day.weekday() in (0, 4):
                events += self._updates(day, _at(day, 17, 30))
        yield from sorted(events, key=_time_of)

    def _emails(self, day: date) -> list[Event]:
        found: list[Event] = []
        for _ in range(self.spec.emails_per_day):
            account = self.random.choice(self.accounts)
            if self.random.random() < 0.1:
                # someone the CRM does not know yet: one of the account's unknown people, in turn
                address = account.unknown[self.unknown_seen % len(account.unknown)]
                self.unknown_seen += 1
            else:
                address = self.random.choice(account.contacts)[2]
            kind = (
                activity_pb2.ACTIVITY_KIND_EMAIL_SENT
                if self.random.random() < 0.5
                else activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED
            )
            found.append(
                self._activity(
                    kind, _at(day, self.random.randint(9, 17), self.random.randint(0, 59)), address
                )
            )
        return found

    def _meetings(self, day: date) -> list[tuple[activity_pb2.Activity, tuple[_Account, datetime]]]:
        count = int(self.spec.meetings_per_day) + (self.random.random() < self.spec.meetings_per_day % 1)
        found = []
        for _ in range(count):
            account = self.random.choice(self.accounts[:2])
            start = _at(day, self.random.choice((10, 11, 14, 15)))
            found.append(
                (
                    self._activity(activity_pb2.ACTIVITY_KIND_MEETING, start, account.contacts[0][2]),
                    (account, start),
                )
            )
        return found

    def _activity(
        self, kind: activity_pb2.ActivityKind.ValueType, at: datetime, address: str
    ) -> activity_pb2.Activity:
        return ev.activity(
            tenant_id=self.tenant, rep_id=self.rep.rep_id, item_id=self._id("item"), kind=kind,
            occurred_at=at, external=[address], mailbox_domain=self.spec.domain,
            observed_at=at - timedelta(days=1) if kind == activity_pb2.ACTIVITY_KIND_MEETING else at,
        )  # fmt: skip

    def _log(self, occurred: datetime, logged: datetime, account: _Account) -> crm_pb2.CrmEvent:
        related, related_type = (
            (account.opportunity, "opportunity") if account.opportunity else (account.crm_id, "account")
        )
        return ev.manual_log(
            tenant_id=self.tenant, rep_id=self.rep.rep_id, crm_activity_id=self._id("log"),
            occurred_at=occurred, logged_at=logged, related_crm_id=related, related_object_type=related_type,
        )  # fmt: skip

    def _forecast(self, at: datetime) -> crm_pb2.CrmEvent:
        """A commitment for the quarter the organisation's today falls in."""
        today = self.spec.today
        first_month = 3 * ((today.month - 1) // 3) + 1
        start = date(today.year, first_month, 1)
        end = date(today.year + (first_month == 10), (first_month + 2) % 12 + 1, 1) - timedelta(days=1)
        return ev.forecast(
            tenant_id=self.tenant, rep_id=self.rep.rep_id, period=f"{today.year}-Q{(first_month + 2) // 3}",
            period_start=start, period_end=end, committed_amount=self.won_deal()[0], submitted_at=at,
        )  # fmt: skip

    def _close_won(self, account: _Account, at: datetime) -> crm_pb2.CrmEvent:
        assert account.opportunity is not None
        won = self.won_deal()[1]
        return ev.upsert(
            tenant_id=self.tenant, object_type="opportunity", crm_id=account.opportunity,
            name=f"{account.name} deal", owner_rep_id=self.rep.rep_id, account_crm_id=account.crm_id,
            stage="Closed Won", amount=won, close_date=at.date(), is_closed=True, is_won=True,
            fields={"Budget": f"{won:.0f}"}, modified_by_rep_id=self.rep.rep_id, modified_at=at,
        )  # fmt: skip

    def _updates(self, day: date, at: datetime) -> list[Event]:
        """The rep moves a deal forward (or, in the unlogged teams, nobody does)."""
        if self.rep.pattern == "unlogged":
            return []
        # The rep's open deals in turn (a day's parity would hit the same deal every Tuesday and
        # Thursday, and none at all once that deal is won).
        account = self.accounts[self.updates % 2]
        self.updates += 1
        assert account.opportunity is not None
        if (
            self.rep.archetype is Archetype.ADOPTER
            and account is self.accounts[1]
            and day >= self.spec.today - timedelta(days=3)
        ):
            account = self.accounts[0]  # that deal is won: the other one moves
        assert account.opportunity is not None
        index = STAGES.index(self.stage[account.opportunity])
        if index < 2 and self.random.random() < 0.3:
            self.stage[account.opportunity] = STAGES[index + 1]
        deal = self.deals[account.opportunity]
        rng = self.deal_random
        stage = self.stage[account.opportunity]
        # A later stage closes sooner; the next step is due within the next two weeks of the update.
        latest_close = day + timedelta(days={"Qualify": 120, "Propose": 75, "Negotiate": 40}[stage])
        self.deals[account.opportunity] = _Deal(
            deal.amount,
            max(min(deal.close_date, latest_close), day + timedelta(days=7)),
            rng.choice(NEXT_STEPS[stage]),
            day + timedelta(days=rng.randint(2, 12)),
        )
        budget = "" if self.rep.pattern == "friction" else f"{deal.amount:.0f}"
        return [self._opportunity(account, at, budget=budget)]


def committed_for(won: float) -> float:
    """The quarter's commitment of a rep who wins `won`: 5 % above it, rounded (within the 10 %
    forecast target)."""
    return float(round(won * 1.05 / 500) * 500)


def _business_day_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _business_day_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _time_of(event: Event) -> int:
    if isinstance(event, activity_pb2.Activity):
        return event.occurred_at.seconds
    return event.occurred_at.seconds
