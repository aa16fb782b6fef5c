"""Who a tenant expects in the CRM: the configured people, and what is known without them."""

from __future__ import annotations

from datetime import date

from groundtruth.crm.v1 import crm_pb2
from services.scoring.domain.tenant_settings import settings_from_config


def test_configured_people_carry_name_role_and_start_date() -> None:
    config = crm_pb2.TenantConfig(
        version=1,
        people=[
            crm_pb2.Person(rep_id="kemi", display_name="Kemi Walsh", email="Kemi@Contoso.example",
                           role="sdr", start_date="2026-10-01"),
            crm_pb2.Person(rep_id="new-hire"),
        ],
    )  # fmt: skip
    settings = settings_from_config("acme", config)
    kemi = settings.person("kemi")
    assert (kemi.display_name, kemi.email, kemi.role, kemi.start_date) == (
        "Kemi Walsh", "kemi@contoso.example", "sdr", date(2026, 10, 1),
    )  # fmt: skip
    assert settings.person("new-hire").role == "rep" and settings.person("new-hire").start_date is None


def test_without_a_person_a_team_manager_is_a_manager_and_anyone_else_a_rep() -> None:
    config = crm_pb2.TenantConfig(
        version=1, teams=[crm_pb2.Team(team_id="east", manager_rep_id="quinn", member_rep_ids=["rep-1"])]
    )
    settings = settings_from_config("acme", config)
    assert settings.person("quinn").role == "manager"
    assert settings.person("rep-1").role == "rep"
    assert settings.person("stranger").role == "rep"


def test_is_manager_is_one_question_for_configured_and_inferred_managers() -> None:
    config = crm_pb2.TenantConfig(
        version=1,
        teams=[crm_pb2.Team(team_id="east", manager_rep_id="quinn", member_rep_ids=["rep-1"])],
        people=[crm_pb2.Person(rep_id="vp", role="manager"), crm_pb2.Person(rep_id="rep-1", role="rep")],
    )
    settings = settings_from_config("acme", config)
    assert settings.is_manager("quinn"), "a team's manager, without a person entry"
    assert settings.is_manager("vp"), "a manager by the people directory, managing no team"
    assert not settings.is_manager("rep-1") and not settings.is_manager("stranger")
