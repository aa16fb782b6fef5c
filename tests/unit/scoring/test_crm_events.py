"""Validation of CRM events and tenant configurations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from groundtruth.crm.v1 import crm_pb2
from services.sandbox.synthetic import events as ev
from services.scoring.domain.crm_events import InvalidCrmEvent, Login, ManualLog, decode_crm_event
from services.scoring.domain.records import CrmRecord, ObjectType
from services.scoring.domain.tenant_settings import settings_from_config
from tests.unit.scoring.world import at


def test_a_record_upsert_becomes_a_versioned_record_with_its_actor() -> None:
    event = ev.upsert(
        tenant_id="t", object_type="contact", crm_id="c1", email=" Jane@Buyer.Example ", owner_rep_id="r1",
        modified_by_rep_id="r2", modified_at=at(1),
    )  # fmt: skip
    change = decode_crm_event(event)
    assert isinstance(change.body, CrmRecord)
    assert (change.body.object_type, change.body.email, change.actor_rep_id) == (
        ObjectType.CONTACT,
        "jane@buyer.example",
        "r2",
    )
    assert change.body.version == (change.body.modified_us, event.event_id)


def test_a_change_by_someone_who_is_not_a_rep_is_no_reps_write() -> None:
    event = ev.upsert(
        tenant_id="t", object_type="opportunity", crm_id="o1", owner_rep_id="r1", modified_at=at(1)
    )
    event.rep_id = "r1"
    event.record_upserted.modified_by_non_rep = True
    assert decode_crm_event(event).actor_rep_id == ""


def test_a_write_back_log_is_not_the_reps_own_effort() -> None:
    change = decode_crm_event(
        ev.manual_log(
            tenant_id="t",
            rep_id="r",
            crm_activity_id="L",
            occurred_at=at(1),
            logged_at=at(2),
            source_activity_id="a1",
        )
    )
    assert isinstance(change.body, ManualLog) and change.body.is_write_back


def _broken(mutate: str) -> crm_pb2.CrmEvent:
    event = ev.upsert(
        tenant_id="t", object_type="opportunity", crm_id="o", modified_at=at(1), close_date=at(30).date()
    )
    if mutate == "no tenant":
        event.tenant_id = ""
    elif mutate == "no crm id":
        event.record_upserted.crm_id = ""
    elif mutate == "bad date":
        event.record_upserted.close_date = "30/12/2026"
    elif mutate == "negative amount":
        event.record_upserted.amount = -1
    elif mutate == "no payload":
        event.ClearField("record_upserted")
    elif mutate == "bad config":
        event.tenant_config_updated.config.CopyFrom(
            crm_pb2.TenantConfig(version=0, score_weights={"nonsense": 1})
        )
    return event


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        ("no tenant", "tenant_id is empty"),
        ("no crm id", "crm_id is empty"),
        ("bad date", "close_date"),
        ("negative amount", "amount is negative"),
        ("no payload", "payload is missing"),
        ("bad config", "unknown score weights"),
    ],
)
def test_invalid_events_say_what_is_wrong(mutate: str, reason: str) -> None:
    with pytest.raises(InvalidCrmEvent, match=reason):
        decode_crm_event(_broken(mutate))


def test_tenant_settings_override_defaults_by_name_and_add_free_mail_domains() -> None:
    settings = settings_from_config(
        "t",
        crm_pb2.TenantConfig(
            version=3, free_mail_domains=["Mailbox.Example"], score_weights={"crm_login_days": 5},
            thresholds={"ghost_days": 21}, window_days=14,
            teams=[crm_pb2.Team(team_id="east", manager_rep_id="m", member_rep_ids=["a", "b"])],
        ),
    )  # fmt: skip
    assert settings.weights["crm_login_days"] == 5 and settings.weights["crm_write_days"] == 20
    assert settings.threshold("ghost_days") == 21 and settings.window_days == 14
    assert {"mailbox.example", "gmail.com"} <= settings.free_mail_domains
    assert (settings.team_of("b"), settings.team_of("m"), settings.team_of("x")) == ("east", "east", "")


def test_a_crm_view_is_crm_use_of_that_day_and_needs_a_rep_kind_and_time() -> None:
    at = datetime(2026, 11, 30, 9, tzinfo=UTC)
    event = crm_pb2.CrmEvent(event_id="e1", tenant_id="t", rep_id="mgr-1")
    event.crm_viewed.kind = crm_pb2.CRM_VIEW_KIND_PIPELINE_REVIEW
    event.crm_viewed.viewed_at.FromDatetime(at)
    change = decode_crm_event(event)
    assert isinstance(change.body, Login) and change.body.login_us == int(at.timestamp() * 1_000_000)
    bad = crm_pb2.CrmEvent(event_id="e2", tenant_id="t", crm_viewed=crm_pb2.CrmViewed())
    with pytest.raises(InvalidCrmEvent) as raised:
        decode_crm_event(bad)
    assert all(
        p in str(raised.value) for p in ("rep_id is empty", "kind is unspecified", "viewed_at is missing")
    )
