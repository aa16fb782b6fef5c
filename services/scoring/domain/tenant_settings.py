"""A tenant's effective configuration: the latest TenantConfig the CRM sent, over documented defaults.

Every default here is stated in docs/scoring.md; a tenant overrides weights and thresholds by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType

from groundtruth.crm.v1 import crm_pb2
from plumbing.contracts.roles import DEFAULT_ROLE_THRESHOLDS, DEFAULT_ROLE_WEIGHTS, role_profile_problems

# Names, defaults and bounds are the contract the gateway validates against (one home for both).
from plumbing.contracts.tenant_config import DEFAULT_THRESHOLDS as DEFAULT_THRESHOLDS
from plumbing.contracts.tenant_config import DEFAULT_WEIGHTS as DEFAULT_WEIGHTS
from plumbing.contracts.tenant_config import DEFAULT_WINDOW_DAYS as DEFAULT_WINDOW_DAYS
from plumbing.contracts.tenant_config import MAX_WINDOW_DAYS as MAX_WINDOW_DAYS
from plumbing.contracts.tenant_config import MIN_WINDOW_DAYS as MIN_WINDOW_DAYS
from services.scoring.domain.instants import parse_iso_date

# Free-mail domains are never used to match an account: half the world shares them.
DEFAULT_FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "gmx.com", "gmx.de", "gmx.net", "web.de",
        "proton.me", "protonmail.com", "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com",
        "126.com", "zoho.com", "fastmail.com", "orange.fr", "free.fr", "t-online.de", "libero.it",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Team:
    team_id: str
    name: str
    manager_rep_id: str
    member_rep_ids: tuple[str, ...]


MANAGER_ROLE = "manager"
DEFAULT_ROLE = "rep"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone the tenant configured: how pages name them, the expectations of their role, and the
    first day they may be judged on (None: from the tenant's go-live)."""

    rep_id: str
    display_name: str = ""
    email: str = ""
    role: str = DEFAULT_ROLE
    start_date: date | None = None


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where digests and alerts are posted, and the secret their signature is made with."""

    url: str
    signing_secret: str = field(repr=False)  # only in a configuration stored before secrets were sealed
    sealed_secret: bytes = field(default=b"", repr=False)  # sealed by the gateway; opened to sign


@dataclass(frozen=True, slots=True)
class TenantSettings:
    tenant_id: str
    version: int = 0
    internal_domains: frozenset[str] = frozenset()
    free_mail_domains: frozenset[str] = DEFAULT_FREE_MAIL_DOMAINS
    required_opportunity_fields: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    go_live: date | None = None
    teams: tuple[Team, ...] = ()
    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    thresholds: Mapping[str, float] = field(default_factory=lambda: DEFAULT_THRESHOLDS)
    uses_write_back: bool = False
    window_days: int = DEFAULT_WINDOW_DAYS
    team_index: Mapping[str, str] = field(default_factory=dict)  # see `index_teams`
    people: Mapping[str, Person] = field(default_factory=dict)  # configured people by rep id
    # Effective weights and thresholds of each role with a profile (see `for_role`).
    role_weights: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    role_thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    role: str = ""  # the role these settings judge ("": the tenant-wide settings)
    webhooks: tuple[Webhook, ...] = ()

    def threshold(self, name: str) -> float:
        return self.thresholds[name]

    def for_role(self, role: str) -> TenantSettings:
        """These settings as they judge a person of `role`: the role's weights and thresholds, the
        tenant-wide ones for a role without a profile."""
        weights = self.role_weights.get(role)
        thresholds = self.role_thresholds.get(role)
        if weights is None and thresholds is None:
            return self if self.role == role else replace(self, role=role)
        return replace(
            self, weights=weights or self.weights, thresholds=thresholds or self.thresholds, role=role
        )

    def team_of(self, rep_id: str) -> str:
        """The first team (in configuration order) the rep belongs to, else manages; "" when none."""
        return self.team_index.get(rep_id, "")

    def person(self, rep_id: str) -> Person:
        """The configured person, or what is known without one: a manager of a team is a manager,
        anyone else a rep; no name, no start date."""
        found = self.people.get(rep_id)
        if found is not None:
            return found
        manages = any(t.manager_rep_id == rep_id for t in self.teams)
        return Person(rep_id=rep_id, role=MANAGER_ROLE if manages else DEFAULT_ROLE)

    def is_manager(self, rep_id: str) -> bool:
        """The one place that decides whether someone is judged as a manager (not on their own
        mailbox or activity). Roles may grow (issue 19); this stays the single question asked."""
        return self.person(rep_id).role == MANAGER_ROLE

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.team_id == team_id), None)

    def is_internal_address(self, address: str) -> bool:
        return address.rpartition("@")[2] in self.internal_domains


def index_teams(teams: tuple[Team, ...]) -> dict[str, str]:
    index: dict[str, str] = {}
    for team in teams:
        for rep in team.member_rep_ids:
            index.setdefault(rep, team.team_id)
    for team in teams:
        if team.manager_rep_id:
            index.setdefault(team.manager_rep_id, team.team_id)
    return index


def config_problems(config: crm_pb2.TenantConfig) -> list[str]:
    """What makes a TenantConfig unusable; empty when it is valid."""
    problems = []
    if config.version <= 0:
        problems.append("config.version must be positive")
    if config.go_live_date and parse_iso_date(config.go_live_date) is None:
        problems.append(f"config.go_live_date {config.go_live_date!r} is not an ISO date")
    if config.window_days and not MIN_WINDOW_DAYS <= config.window_days <= MAX_WINDOW_DAYS:
        problems.append(f"config.window_days must be {MIN_WINDOW_DAYS}..{MAX_WINDOW_DAYS}")
    unknown = sorted(set(config.score_weights) - set(DEFAULT_WEIGHTS))
    if unknown:
        problems.append(f"unknown score weights {unknown}")
    unknown = sorted(set(config.thresholds) - set(DEFAULT_THRESHOLDS))
    if unknown:
        problems.append(f"unknown thresholds {unknown}")
    if any(w < 0 for w in config.score_weights.values()):
        problems.append("score weights must not be negative")
    seen: set[str] = set()
    for profile in config.role_profiles:
        if profile.role in seen:
            problems.append(f"role_profiles[{profile.role[:64]!r}] appears twice")
        seen.add(profile.role)
        problems += role_profile_problems(profile.role, profile.score_weights, profile.thresholds)
    return problems


def settings_from_config(tenant_id: str, config: crm_pb2.TenantConfig | None) -> TenantSettings:
    if config is None:
        config = crm_pb2.TenantConfig()  # the defaults, built-in role profiles included
    teams = tuple(Team(t.team_id, t.name, t.manager_rep_id, tuple(t.member_rep_ids)) for t in config.teams)
    weights = {**DEFAULT_WEIGHTS, **config.score_weights}
    thresholds = {**DEFAULT_THRESHOLDS, **config.thresholds}
    own = {p.role: p for p in config.role_profiles}
    roles = sorted(set(DEFAULT_ROLE_WEIGHTS) | set(DEFAULT_ROLE_THRESHOLDS) | set(own))
    role_weights, role_thresholds = {}, {}
    for role in roles:
        tenant_profile = own.get(role)
        role_weights[role] = MappingProxyType(
            {
                **weights,
                **DEFAULT_ROLE_WEIGHTS.get(role, {}),
                **(tenant_profile.score_weights if tenant_profile else {}),
            }
        )
        role_thresholds[role] = MappingProxyType(
            {
                **thresholds,
                **DEFAULT_ROLE_THRESHOLDS.get(role, {}),
                **(tenant_profile.thresholds if tenant_profile else {}),
            }
        )
    return TenantSettings(
        tenant_id=tenant_id,
        version=config.version,
        internal_domains=frozenset(d.lower() for d in config.internal_domains),
        free_mail_domains=DEFAULT_FREE_MAIL_DOMAINS | {d.lower() for d in config.free_mail_domains},
        required_opportunity_fields=tuple(config.required_opportunity_fields),
        stages=tuple(config.stages),
        go_live=parse_iso_date(config.go_live_date),
        teams=teams,
        team_index=index_teams(teams),
        people=MappingProxyType({p.rep_id: _person(p) for p in config.people}),
        weights=MappingProxyType(weights),
        thresholds=MappingProxyType(thresholds),
        role_weights=MappingProxyType(role_weights),
        role_thresholds=MappingProxyType(role_thresholds),
        uses_write_back=config.uses_write_back,
        window_days=config.window_days or DEFAULT_WINDOW_DAYS,
        webhooks=tuple(
            Webhook(w.url, w.signing_secret, w.sealed_signing_secret) for w in config.notification_webhooks
        ),
    )


def _person(person: crm_pb2.Person) -> Person:
    return Person(
        rep_id=person.rep_id,
        display_name=person.display_name,
        email=person.email.lower(),
        role=person.role or DEFAULT_ROLE,
        start_date=parse_iso_date(person.start_date),
    )


def effective_config(settings: TenantSettings, stored: crm_pb2.TenantConfig | None) -> crm_pb2.TenantConfig:
    """The stored config with every default filled in, as GetTenantConfig shows it."""
    config = crm_pb2.TenantConfig()
    if stored is not None:
        config.CopyFrom(stored)
    config.free_mail_domains[:] = sorted(settings.free_mail_domains)
    config.score_weights.clear()
    config.score_weights.update(settings.weights)
    config.thresholds.clear()
    config.thresholds.update(settings.thresholds)
    config.window_days = settings.window_days
    for hook in config.notification_webhooks:
        hook.signing_secret = ""  # never shown: it signs what scoring sends
        hook.sealed_signing_secret = b""
    # Each role's profile as it applies: what differs from the tenant-wide settings.
    del config.role_profiles[:]
    for role in sorted(settings.role_weights):
        weights, thresholds = settings.role_weights[role], settings.role_thresholds[role]
        config.role_profiles.add(
            role=role,
            score_weights={k: v for k, v in weights.items() if v != settings.weights[k]},
            thresholds={k: v for k, v in thresholds.items() if v != settings.thresholds[k]},
        )
    return config
