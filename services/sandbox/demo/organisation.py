"""Who is in the demo: a company with four sales teams, 24 reps covering every archetype, their
managers and 72 customer accounts, half of it on Microsoft 365 and half on Google Workspace.

The behaviour of each rep (what they capture and what they put in the CRM) is scoring's synthetic
organisation (`services.sandbox.synthetic.organisation`); this module only gives it believable names,
addresses and customer domains, and says which provider each team's mailboxes live in.

Why two providers: the story is a company (Contoso) whose headquarters teams run Microsoft 365 and
whose acquired digital unit still runs Google Workspace. That is common in practice and shows both
connectors feeding one tenant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from services.sandbox.synthetic.organisation import Archetype, Organisation, OrganisationSpec, Rep

TENANT_ID = "demo"
DAYS_OF_HISTORY = 60
REPS = 24
TEAM_SIZE = 6  # four teams; scoring's team patterns cycle healthy, friction, unlogged, healthy


class Provider(StrEnum):
    MICROSOFT = "microsoft"
    GOOGLE = "google"


# Per provider: the tenant's domain there, the capture connection's id.
DOMAINS = {Provider.MICROSOFT: "contoso.example", Provider.GOOGLE: "contoso-digital.example"}
CONNECTION_IDS = {Provider.MICROSOFT: "demo-microsoft", Provider.GOOGLE: "demo-google"}
# The emulated Microsoft Entra directory and app registration capture uses (fixed, not secrets).
MICROSOFT_DIRECTORY_ID = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"
MICROSOFT_CLIENT_ID = "0d3e8a52-7c41-4b9e-9f3a-1b2c3d4e5f60"
MICROSOFT_CLIENT_SECRET = "demo-client-secret"

_TEAMS = (  # (team id, name, provider), in the order of scoring's team patterns
    ("emea-enterprise", "EMEA Enterprise", Provider.MICROSOFT),
    ("north-america", "North America", Provider.MICROSOFT),
    ("digital-smb", "Digital SMB", Provider.GOOGLE),
    ("digital-partners", "Digital Partners", Provider.GOOGLE),
)
_FIRST = (
    "Ana", "Ben", "Chloe", "Dev", "Elif", "Farid", "Gita", "Hugo", "Ines", "Jon", "Kemi", "Lars",
    "Maya", "Nils", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wes", "Yara",
    "Zoe", "Aiko", "Bruno", "Carla", "Dario", "Emma", "Felix", "Grace",
)  # fmt: skip
_LAST = (
    "Silva", "Okafor", "Lindqvist", "Patel", "Yilmaz", "Haddad", "Rao", "Moreau", "Costa", "Berg",
    "Adeyemi", "Larsen", "Cohen", "Nakamura", "Farah", "Iyer", "Walsh", "Romero", "Virtanen", "Kaur",
    "Sheikh", "Novak", "Hughes", "Mendes", "Keller", "Tanaka", "Rossi", "Duarte", "Ferrari", "Weber",
)  # fmt: skip
_COMPANY_STEMS = (
    "Northwind", "Fabrikam", "Tailspin", "Litware", "Adatum", "Woodgrove", "Proseware", "Lucerne",
    "Wingtip", "Alpine", "Blue Harbor", "Coho", "Fourth Coffee", "Graphic Design", "Humongous",
    "Margie", "Trey", "Wide World", "Relecloud", "Southridge", "Lamna", "Munson", "Nod", "Consolidated",
)  # fmt: skip
_COMPANY_KINDS = ("Logistics", "Health", "Energy")
CONTACTS_PER_ACCOUNT = 5
# Roles of the reps (the people directory), cycled within each team; managers are "manager".
_REP_ROLES = ("account_executive", "account_executive", "sdr", "account_manager", "account_executive", "sdr")


@dataclass(frozen=True)
class DemoSpec:
    """Everything the demo depends on: the same spec always tells the same story."""

    seed: int = 7
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    days: int = DAYS_OF_HISTORY
    reps: int = REPS
    team_size: int = TEAM_SIZE


@dataclass(frozen=True)
class DemoRep:
    rep_id: str  # the rep's mailbox address, which is also their CRM user id
    name: str
    team_id: str
    archetype: Archetype
    provider: Provider


@dataclass(frozen=True)
class DemoTeam:
    team_id: str
    name: str
    pattern: str  # scoring's team pattern: healthy, friction, unlogged
    provider: Provider
    manager_rep_id: str
    manager_name: str
    members: tuple[DemoRep, ...]


class DemoNaming:
    """Believable, unique names for scoring's synthetic organisation, drawn once from the seed."""

    def __init__(self, seed: int, *, reps: int, teams: int, team_size: int) -> None:
        rng = random.Random(f"demo-names:{seed}")
        # The staff (reps, then managers) first, each with a first and a last name of their own, so
        # nobody in the company shares either (two managers called Quinn confuse everybody); the
        # customers' people after them, from the remaining pairs.
        staff = min(reps + teams, len(_FIRST), len(_LAST))
        staff_people = list(zip(rng.sample(_FIRST, staff), rng.sample(_LAST, staff), strict=True))
        taken = set(staff_people)
        others = [(f, last) for f in _FIRST for last in _LAST if (f, last) not in taken]
        rng.shuffle(others)
        self._people = staff_people + others
        self._reps = reps
        companies = [f"{stem} {kind}" for stem in _COMPANY_STEMS for kind in _COMPANY_KINDS]
        rng.shuffle(companies)
        self._companies = companies
        self._teams = teams
        self._team_size = team_size

    def person(self, index: int) -> tuple[str, str]:
        """(display name, address local part) of the index-th person of the demo."""
        first, last = self._people[index]
        return f"{first} {last}", f"{first}.{last}".lower()

    def provider(self, team_index: int) -> Provider:
        return _TEAMS[team_index % len(_TEAMS)][2]

    def rep_id(self, rep_index: int) -> str:
        team_index = rep_index // self._team_size
        return f"{self.person(rep_index)[1]}@{DOMAINS[self.provider(team_index)]}"

    def team_id(self, team_index: int) -> str:
        return _TEAMS[team_index % len(_TEAMS)][0] + ("" if team_index < len(_TEAMS) else f"-{team_index}")

    def team_name(self, team_index: int, pattern: str) -> str:
        return _TEAMS[team_index % len(_TEAMS)][1]

    def manager_id(self, team_index: int) -> str:
        return f"{self.person(self._reps + team_index)[1]}@{DOMAINS[self.provider(team_index)]}"

    def account(self, rep_index: int, n: int) -> tuple[str, str]:
        name = self._companies[(rep_index * 3 + n) % len(self._companies)]
        return name, name.lower().replace(" ", "") + ".example"

    def contact(self, rep_index: int, n: int, k: int) -> tuple[str, str]:
        # People outside the staff: offset past every rep and manager; five people per account (two
        # CRM contacts, then people the CRM does not know yet).
        return self.person(self._reps + self._teams + (rep_index * 3 + n) * CONTACTS_PER_ACCOUNT + k)


class DemoOrganisation:
    """The demo's people and teams, and scoring's synthetic organisation behind them."""

    def __init__(self, spec: DemoSpec | None = None) -> None:
        spec = spec or DemoSpec()
        teams = -(-spec.reps // spec.team_size)
        if spec.reps * 3 > len(_COMPANY_STEMS) * len(_COMPANY_KINDS):
            raise ValueError(f"at most {len(_COMPANY_STEMS) * len(_COMPANY_KINDS) // 3} demo reps")
        self.spec = spec
        self.naming = DemoNaming(spec.seed, reps=spec.reps, teams=teams, team_size=spec.team_size)
        self.synthetic = Organisation(
            OrganisationSpec(
                tenant_id=TENANT_ID, reps=spec.reps, days=spec.days, today=spec.today, seed=spec.seed,
                team_size=spec.team_size, domain=DOMAINS[Provider.MICROSOFT], naming=self.naming,
            )
        )  # fmt: skip
        self.teams = [
            DemoTeam(
                team_id=t.team_id, name=t.name, pattern=t.pattern, provider=self.naming.provider(i),
                manager_rep_id=t.manager_rep_id, manager_name=self.naming.person(spec.reps + i)[0],
                members=tuple(self._rep(r, self.naming.provider(i)) for r in t.members),
            )
            for i, t in enumerate(self.synthetic.teams)
        ]  # fmt: skip
        self.reps = [rep for team in self.teams for rep in team.members]
        self.go_live = self.synthetic.go_live

    def _rep(self, rep: Rep, provider: Provider) -> DemoRep:
        return DemoRep(rep.rep_id, self.naming.person(rep.index)[0], rep.team_id, rep.archetype, provider)

    def rep(self, rep_id: str) -> DemoRep:
        return next(r for r in self.reps if r.rep_id == rep_id)

    def reps_on(self, provider: Provider) -> list[DemoRep]:
        return [r for r in self.reps if r.provider is provider]

    def reps_of(self, archetype: Archetype) -> list[DemoRep]:
        return [r for r in self.reps if r.archetype is archetype]

    def people(self) -> list[dict[str, str]]:
        """The people directory of `PUT /v1/admin/config`: every rep and manager with a display name,
        the address people know them by, a role and a start date. Everybody joined before go-live
        (between 2 months and 4 years before it), so nobody's history is cut by a start date."""
        rng = random.Random(f"demo-people:{self.spec.seed}")
        found = []
        for team in self.teams:
            found.append(self._person(team.manager_rep_id, team.manager_name, "manager", rng))
            for index, rep in enumerate(team.members):
                found.append(self._person(rep.rep_id, rep.name, _REP_ROLES[index % len(_REP_ROLES)], rng))
        return found

    def _person(self, rep_id: str, name: str, role: str, rng: random.Random) -> dict[str, str]:
        joined = self.go_live - timedelta(days=rng.randint(60, 4 * 365))
        return {
            "rep_id": rep_id, "display_name": name, "email": rep_id, "role": role,
            "start_date": joined.isoformat(),
        }  # fmt: skip
