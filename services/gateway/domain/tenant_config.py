"""The tenant configuration an admin sets: what makes it valid, and the teams it defines.

The gateway is the only writer of tenant configuration. It keeps every version it published and
publishes each one as `TenantConfigUpdated` on gt.crm.events.v1 (key `tenant:`) for scoring.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

from groundtruth.crm.v1 import crm_pb2
from plumbing.contracts.roles import KNOWN_ROLES, MAX_ROLE_PROFILES, role_profile_problems
from plumbing.contracts.tenant_config import (
    DEFAULT_WINDOW_DAYS,
    THRESHOLD_NAMES,
    WEIGHT_NAMES,
    window_days_problem,
)
from plumbing.contracts.text import text_problem
from services.gateway.domain.access import Team, TeamDirectory
from services.gateway.domain.identifiers import (
    is_domain,
    is_email,
    is_iso_date,
    is_rep_id,
    is_role,
    is_team_id,
)

MAX_DOMAINS = 200
MAX_FIELDS = 200
MAX_STAGES = 100
MAX_TEAMS = 500
MAX_TEAM_MEMBERS = 5_000
MAX_PEOPLE = 20_000
MAX_DISPLAY_NAME = 200
MAX_NAME_CHARS = 255


def config_problems(config: crm_pb2.TenantConfig) -> list[str]:
    """Everything wrong with a configuration an admin submitted; empty when it can be published."""
    problems: list[str] = []
    for name, domains in (
        ("internal_domains", config.internal_domains),
        ("free_mail_domains", config.free_mail_domains),
    ):
        if len(domains) > MAX_DOMAINS:
            problems.append(f"{name} has more than {MAX_DOMAINS} entries")
        problems.extend(f"{name}: {d[:64]!r} is not a domain" for d in domains if not is_domain(d.lower()))
        _unique(problems, name, [d.lower() for d in domains])
    if len(config.required_opportunity_fields) > MAX_FIELDS:
        problems.append(f"required_opportunity_fields has more than {MAX_FIELDS} entries")
    _names(problems, "required_opportunity_fields", config.required_opportunity_fields)
    _unique(problems, "required_opportunity_fields", list(config.required_opportunity_fields))
    if len(config.stages) > MAX_STAGES:
        problems.append(f"stages has more than {MAX_STAGES} entries")
    _names(problems, "stages", config.stages)
    _unique(problems, "stages", list(config.stages))
    if config.go_live_date and not is_iso_date(config.go_live_date):
        problems.append("go_live_date must be an ISO date (yyyy-mm-dd)")
    window = window_days_problem(config.window_days)
    if window:
        problems.append(f"window_days {window}")
    for name, values, known in (
        ("score_weights", config.score_weights, WEIGHT_NAMES),
        ("thresholds", config.thresholds, THRESHOLD_NAMES),
    ):
        for key, value in values.items():
            if key not in known:
                # Scoring knows only these names: any other would make it refuse the whole version.
                problems.append(f"{name}: {key[:64]!r} is not a known setting (see docs/scoring.md)")
            if not math.isfinite(value) or (name == "score_weights" and value < 0):
                problems.append(
                    f"{name}[{key[:64]!r}] must be a finite number" + (" >= 0" * (name == "score_weights"))
                )
    if config.change_reference:
        _names(problems, "change_reference", [config.change_reference])
    problems.extend(_team_problems(config.teams))
    problems.extend(_people_problems(config.people))
    problems.extend(_role_profile_problems(config.role_profiles))
    problems.extend(_webhook_problems(config.notification_webhooks))
    return problems


MAX_WEBHOOKS = 10
# HTTPS, or plain HTTP to this machine only (a local relay, the tests' receiver).
WEBHOOK_URL_PATTERN = r"^(https://|http://127\.0\.0\.1[:/]|http://localhost[:/])[^\x00-\x20\x7f]+$"
_WEBHOOK_URL = re.compile(WEBHOOK_URL_PATTERN)
MIN_SECRET_CHARS, MAX_SECRET_CHARS = 16, 256


def _webhook_problems(hooks: Iterable[crm_pb2.NotificationWebhook]) -> list[str]:
    listed = list(hooks)
    if len(listed) > MAX_WEBHOOKS:
        return [f"notification_webhooks has more than {MAX_WEBHOOKS} entries"]
    problems: list[str] = []
    seen: set[str] = set()
    for index, hook in enumerate(listed):
        where = f"notification_webhooks[{index}]"
        if not _WEBHOOK_URL.fullmatch(hook.url):
            problems.append(f"{where}.url must be an https:// URL (http:// only to 127.0.0.1 or localhost)")
        if hook.url in seen:
            problems.append(f"{where}.url appears twice")
        seen.add(hook.url)
        secret = hook.signing_secret
        if not secret and hook.sealed_signing_secret:
            continue  # kept sealed from the stored version
        if not (
            MIN_SECRET_CHARS <= len(secret) <= MAX_SECRET_CHARS and secret.isprintable() and " " not in secret
        ):
            problems.append(
                f"{where}.signing_secret must be {MIN_SECRET_CHARS}..{MAX_SECRET_CHARS} printable characters "
                "without spaces (empty keeps the stored one of the same url)"
            )
    return problems


def keep_secrets(config: crm_pb2.TenantConfig, current: crm_pb2.TenantConfig | None) -> None:
    """A webhook sent without its secret keeps the one stored for the same url: a configuration read
    back (secrets are never shown) can be sent again as it is."""
    stored = {h.url: h for h in current.notification_webhooks} if current else {}
    for hook in config.notification_webhooks:
        hook.sealed_signing_secret = b""  # only the gateway seals: never taken from the caller
        if not hook.signing_secret and hook.url in stored:
            hook.signing_secret = stored[hook.url].signing_secret  # a version stored before sealing
            hook.sealed_signing_secret = stored[hook.url].sealed_signing_secret


def seal_secrets(config: crm_pb2.TenantConfig, seal: Callable[[str], bytes]) -> None:
    """Replace every clear webhook secret with its sealed form before the configuration is stored
    and published (`seal` raises when no key is configured: nothing is stored in clear)."""
    for hook in config.notification_webhooks:
        if hook.signing_secret:
            hook.sealed_signing_secret = seal(hook.signing_secret)
            hook.signing_secret = ""


def redacted(config: crm_pb2.TenantConfig) -> crm_pb2.TenantConfig:
    """The configuration as it is shown: webhook secrets blanked (they sign what scoring sends)."""
    shown = crm_pb2.TenantConfig()
    shown.CopyFrom(config)
    for hook in shown.notification_webhooks:
        hook.signing_secret = ""
        hook.sealed_signing_secret = b""
    return shown


def _role_profile_problems(profiles: Iterable[crm_pb2.RoleProfile]) -> list[str]:
    listed = list(profiles)
    if len(listed) > MAX_ROLE_PROFILES:
        return [f"role_profiles has more than {MAX_ROLE_PROFILES} entries"]
    problems: list[str] = []
    seen: set[str] = set()
    for profile in listed:
        if profile.role in seen:
            problems.append(f"role_profiles[{profile.role[:64]!r}] appears twice")
        seen.add(profile.role)
        problems.extend(role_profile_problems(profile.role, profile.score_weights, profile.thresholds))
    return problems


def _people_problems(people: Iterable[crm_pb2.Person]) -> list[str]:
    everyone = list(people)
    if len(everyone) > MAX_PEOPLE:
        return [f"people has more than {MAX_PEOPLE} entries"]
    problems: list[str] = []
    seen: set[str] = set()
    for person in everyone:
        if not is_rep_id(person.rep_id):
            problems.append(f"people: {person.rep_id[:130]!r} is not a valid rep id")
            continue
        where = f"people[{person.rep_id!r}]"
        if person.rep_id in seen:
            problems.append(f"{where} appears twice")
        seen.add(person.rep_id)
        display = text_problem(person.display_name, max_chars=MAX_DISPLAY_NAME, single_line=True)
        if display:
            problems.append(f"{where}.display_name {display}")
        if person.email and not is_email(person.email.lower()):
            problems.append(f"{where}.email is not an e-mail address")
        if person.role and not is_role(person.role):
            problems.append(f"{where}.role must be lower_snake_case (for example {', '.join(KNOWN_ROLES)})")
        if person.start_date and not is_iso_date(person.start_date):
            problems.append(f"{where}.start_date must be an ISO date (yyyy-mm-dd)")
    return problems


def _team_problems(teams: Iterable[crm_pb2.Team]) -> list[str]:
    problems: list[str] = []
    team_list = list(teams)
    if len(team_list) > MAX_TEAMS:
        return [f"teams has more than {MAX_TEAMS} entries"]
    seen_teams: set[str] = set()
    member_of: dict[str, str] = {}
    for team in team_list:
        if not is_team_id(team.team_id):
            problems.append(f"teams: {team.team_id[:64]!r} is not a valid team id")
            continue
        if team.team_id in seen_teams:
            problems.append(f"teams: team {team.team_id!r} appears twice")
        seen_teams.add(team.team_id)
        name = text_problem(team.name, max_chars=200, single_line=True)
        if name:
            problems.append(f"teams[{team.team_id!r}].name {name}")
        if team.manager_rep_id and not is_rep_id(team.manager_rep_id):
            problems.append(f"teams[{team.team_id!r}].manager_rep_id is not a valid rep id")
        if len(team.member_rep_ids) > MAX_TEAM_MEMBERS:
            problems.append(f"teams[{team.team_id!r}] has more than {MAX_TEAM_MEMBERS} members")
            continue
        for rep in team.member_rep_ids:
            if not is_rep_id(rep):
                problems.append(f"teams[{team.team_id!r}]: {rep[:130]!r} is not a valid rep id")
            elif rep in member_of and member_of[rep] != team.team_id:
                problems.append(f"rep {rep!r} is a member of both {member_of[rep]!r} and {team.team_id!r}")
            member_of.setdefault(rep, team.team_id)
    return problems


def _names(problems: list[str], field: str, values: Iterable[str]) -> None:
    """Field and stage names: one line of 1..255 characters each (reported once per list)."""
    for value in values:
        problem = (
            "is empty"
            if not value.strip()
            else text_problem(value, max_chars=MAX_NAME_CHARS, single_line=True)
        )
        if problem:
            problems.append(f"{field}: an entry {problem}")
            return


def _unique(problems: list[str], name: str, values: list[str]) -> None:
    if len(set(values)) != len(values):
        problems.append(f"{name} has duplicates")


def normalized(config: crm_pb2.TenantConfig, *, version: int) -> crm_pb2.TenantConfig:
    """The configuration as stored and published: domains lower-cased, defaults filled, versioned."""
    out = crm_pb2.TenantConfig()
    out.CopyFrom(config)
    out.version = version
    for field in (out.internal_domains, out.free_mail_domains):
        lowered = [d.lower() for d in field]
        del field[:]
        field.extend(lowered)
    for person in out.people:
        person.email = person.email.lower()
    for team in out.teams:
        members = list(dict.fromkeys(team.member_rep_ids))
        del team.member_rep_ids[:]
        team.member_rep_ids.extend(members)
    if not out.window_days:
        out.window_days = DEFAULT_WINDOW_DAYS
    return out


def default_config() -> crm_pb2.TenantConfig:
    """What a tenant has before its admin sets anything (version 0, never published)."""
    return crm_pb2.TenantConfig(version=0, window_days=DEFAULT_WINDOW_DAYS)


def directory_of(config: crm_pb2.TenantConfig) -> TeamDirectory:
    return TeamDirectory.of(
        Team(team_id=t.team_id, manager_rep_id=t.manager_rep_id, member_rep_ids=frozenset(t.member_rep_ids))
        for t in config.teams
    )


def next_version(current: int, now_micros: int) -> int:
    """Strictly above the current version and never behind the clock.

    A version published to Kafka whose database commit then failed is never reused with other
    content: the next write takes a later timestamp, and scoring applies the highest version.
    """
    return max(current + 1, now_micros)
