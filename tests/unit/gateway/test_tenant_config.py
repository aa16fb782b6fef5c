from __future__ import annotations

import pytest

from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain.tenant_config import config_problems, directory_of, next_version, normalized


def person(rep_id: str, **fields: str) -> crm_pb2.Person:
    return crm_pb2.Person(rep_id=rep_id, **fields)


def team(team_id: str, manager: str, *members: str) -> crm_pb2.Team:
    return crm_pb2.Team(team_id=team_id, manager_rep_id=manager, member_rep_ids=list(members))


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        pytest.param(crm_pb2.TenantConfig(internal_domains=["acme"]), "not a domain", id="domain"),
        pytest.param(crm_pb2.TenantConfig(stages=["A", "A"]), "duplicates", id="stages"),
        pytest.param(crm_pb2.TenantConfig(window_days=3), "window_days", id="window"),
        pytest.param(crm_pb2.TenantConfig(go_live_date="soon"), "go_live_date", id="go live"),
        pytest.param(crm_pb2.TenantConfig(score_weights={"usage": -1}), ">= 0", id="weight"),
        pytest.param(
            crm_pb2.TenantConfig(teams=[team("a", "m", "r"), team("b", "m", "r")]),
            "member of both",
            id="two teams",
        ),
        pytest.param(
            crm_pb2.TenantConfig(teams=[team("a", "m"), team("a", "n")]), "appears twice", id="dup team"
        ),
        pytest.param(
            crm_pb2.TenantConfig(people=[person("r"), person("r")]), "appears twice", id="dup person"
        ),
        pytest.param(crm_pb2.TenantConfig(people=[person("r", role="Sales Rep")]), "role", id="role"),
        pytest.param(
            crm_pb2.TenantConfig(people=[person("r", start_date="2026-13-01")]), "start_date", id="start"
        ),
        pytest.param(crm_pb2.TenantConfig(people=[person("r", email="nobody")]), "e-mail", id="email"),
        pytest.param(
            crm_pb2.TenantConfig(people=[person("r", display_name="x" * 201)]), "display_name", id="name"
        ),
        pytest.param(crm_pb2.TenantConfig(people=[person("no spaces")]), "rep id", id="person id"),
    ],
)
def test_problems(config: crm_pb2.TenantConfig, problem: str) -> None:
    assert any(problem in p for p in config_problems(config))


def test_normalized_and_directory() -> None:
    config = crm_pb2.TenantConfig(
        internal_domains=["ACME.example"], teams=[team("east", "m1", "r1", "r1", "r2")]
    )
    assert config_problems(config) == []
    stored = normalized(config, version=7)
    assert stored.version == 7 and stored.window_days == 28
    assert list(stored.internal_domains) == ["acme.example"]
    assert list(stored.teams[0].member_rep_ids) == ["r1", "r2"]
    assert directory_of(stored).visible_reps("m1") == {"m1", "r1", "r2"}


def test_versions_only_grow() -> None:
    assert next_version(0, 1_000) == 1_000
    assert next_version(5_000, 1_000) == 5_001  # the clock went back: still above the current one


def test_people_are_accepted_and_their_addresses_lower_cased() -> None:
    config = crm_pb2.TenantConfig(
        people=[
            person("kemi", display_name="Kemi Walsh", email="Kemi.Walsh@Contoso.example", role="sdr",
                   start_date="2026-10-01"),
            person("quinn", role="manager"),
            person("dario", role="channel_partner_manager"),  # a role of the tenant's own
        ]
    )  # fmt: skip
    assert config_problems(config) == []
    assert normalized(config, version=1).people[0].email == "kemi.walsh@contoso.example"


@pytest.mark.parametrize(
    ("profile", "problem"),
    [
        pytest.param(
            crm_pb2.RoleProfile(role="sdr", score_weights={"meetings": 1}), "not a known", id="name"
        ),
        pytest.param(
            crm_pb2.RoleProfile(role="sdr", score_weights={"crm_login_days": -1}), ">= 0", id="weight"
        ),
        pytest.param(
            crm_pb2.RoleProfile(role="sdr", thresholds={"ghost_days": float("nan")}), "finite", id="nan"
        ),
        pytest.param(crm_pb2.RoleProfile(role="Sales"), "lower_snake_case", id="role"),
        pytest.param(crm_pb2.RoleProfile(role="manager"), "managers are judged", id="manager"),
    ],
)
def test_role_profile_problems(profile: crm_pb2.RoleProfile, problem: str) -> None:
    problems = config_problems(crm_pb2.TenantConfig(role_profiles=[profile]))
    assert any(problem in p and "role_profiles" in p for p in problems), problems


def test_a_role_profile_listed_twice_is_refused_and_a_valid_one_accepted() -> None:
    sdr = crm_pb2.RoleProfile(role="sdr", score_weights={"manual_logging_rate": 0})
    assert any("appears twice" in p for p in config_problems(crm_pb2.TenantConfig(role_profiles=[sdr, sdr])))
    assert config_problems(crm_pb2.TenantConfig(role_profiles=[sdr])) == []
