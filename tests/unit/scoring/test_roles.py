"""Role profiles: the effective settings of a role, and the scores they give."""

from __future__ import annotations

from groundtruth.crm.v1 import crm_pb2
from plumbing.contracts.roles import DEFAULT_ROLE_WEIGHTS
from services.scoring.domain.score_inputs import ActivityTotals
from services.scoring.domain.scores import adoption_inputs, role_label, weigh
from services.scoring.domain.tenant_settings import config_problems, effective_config, settings_from_config


def test_the_most_specific_setting_wins() -> None:
    config = crm_pb2.TenantConfig(
        version=1,
        score_weights={"crm_login_days": 10.0, "crm_write_days": 11.0},
        thresholds={"target_login_days_per_week": 3.0},
        role_profiles=[crm_pb2.RoleProfile(role="sdr", score_weights={"crm_write_days": 12.0})],
    )
    settings = settings_from_config("t", config)
    sdr = settings.for_role("sdr")
    assert sdr.weights["crm_write_days"] == 12.0  # the tenant's override for the role
    assert (
        sdr.weights["crm_login_days"] == DEFAULT_ROLE_WEIGHTS["sdr"]["crm_login_days"]
    )  # the role's default
    assert sdr.thresholds["target_login_days_per_week"] == 3.0  # the tenant's override (no role default)
    assert settings.for_role("channel_partner").weights["crm_login_days"] == 10.0  # no profile: tenant-wide
    assert settings.for_role("channel_partner").role == "channel_partner"
    shown = {p.role: p for p in effective_config(settings, config).role_profiles}
    assert shown["sdr"].score_weights["crm_write_days"] == 12.0
    assert "crm_login_days" not in shown["account_executive"].score_weights  # same as tenant-wide


def test_a_weight_of_zero_is_shown_but_not_scored_for_the_role() -> None:
    settings = settings_from_config("t", None).for_role("sdr")
    totals = ActivityTotals(days=28, login_days=20, write_days=20, meetings=4, logged_meetings=0)
    score, weighed = weigh(adoption_inputs(totals, settings, None), settings)
    meeting = next(i for i in weighed if i.name == "manual_logging_rate")
    assert (meeting.applicable, meeting.weight, meeting.value) == (False, 0.0, 0.0)
    assert meeting.explanation.startswith("not expected of an SDR, so not scored (logged 0 meetings")
    assert score == 100.0
    generic = settings_from_config("t", None).for_role("rep")
    assert weigh(adoption_inputs(totals, generic, None), generic)[0] < 100.0


def test_role_labels_read_as_words() -> None:
    assert [role_label(r) for r in ("sdr", "account_executive", "data_steward")] == [
        "an SDR", "an account executive", "a data steward",
    ]  # fmt: skip


def test_scoring_refuses_an_unknown_setting_in_a_role_profile() -> None:
    config = crm_pb2.TenantConfig(
        version=1, role_profiles=[crm_pb2.RoleProfile(role="sdr", thresholds={"x": 1})]
    )
    assert any("role_profiles['sdr']" in p for p in config_problems(config))


def test_only_a_role_whose_profile_weighs_it_is_judged_on_new_contacts() -> None:
    """ "New contacts ... created per week": an SDR's prospecting, absent from an AE's inputs."""
    settings = settings_from_config("t", None)
    totals = ActivityTotals(days=28, login_days=20, write_days=20)
    sdr = settings.for_role("sdr")
    full, weighed = weigh(adoption_inputs(totals, sdr, None, contacts_created=20), sdr)
    contacts = next(i for i in weighed if i.name == "contacts_created_per_week")
    assert (contacts.value, contacts.target, contacts.numerator) == (5.0, 5.0, 20)
    assert contacts.contribution == contacts.weight > 0 and full == 100.0
    half, weighed = weigh(adoption_inputs(totals, sdr, None, contacts_created=10), sdr)
    contacts = next(i for i in weighed if i.name == "contacts_created_per_week")
    assert half == round(100.0 - contacts.weight / 2, 1)
    ae = settings.for_role("account_executive")
    assert "contacts_created_per_week" not in {
        i.name for i in adoption_inputs(totals, ae, None, contacts_created=0)
    }
