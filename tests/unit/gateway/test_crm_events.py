from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain.crm_events import event_problems, normalized
from services.gateway.http.schemas.crm import parse_item
from tests.factories import timestamp

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def upsert(**overrides: object) -> crm_pb2.CrmEvent:
    event = crm_pb2.CrmEvent(
        record_upserted=crm_pb2.RecordUpserted(
            object_type=crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY,
            crm_id="006A",
            owner_rep_id="rep-1",
            modified_at=timestamp(NOW - timedelta(hours=1)),
        )
    )
    for name, value in overrides.items():
        setattr(event.record_upserted, name, value)
    return event


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        pytest.param(crm_pb2.CrmEvent(), "no payload", id="empty"),
        pytest.param(
            crm_pb2.CrmEvent(tenant_id="globex", user_login=crm_pb2.UserLogin()), "tenant_id", id="tenant"
        ),
        pytest.param(crm_pb2.CrmEvent(event_id="x", rep_id="rep-1"), "event_id is assigned", id="event id"),
        pytest.param(
            crm_pb2.CrmEvent(user_login=crm_pb2.UserLogin(login_at=timestamp(NOW))),
            "rep_id is required",
            id="login without rep",
        ),
        pytest.param(upsert(crm_id=""), "crm_id is required", id="no crm id"),
        pytest.param(upsert(close_date="15/12/2026"), "close_date", id="bad date"),
        pytest.param(upsert(amount=float("nan")), "amount", id="nan amount"),
        pytest.param(upsert(modified_by_rep_id="not a rep"), "modified_by_rep_id", id="bad actor"),
        pytest.param(
            upsert(modified_by_rep_id="rep-2", modified_by_non_rep=True),
            "exclude each other",
            id="two actors",
        ),
        pytest.param(
            crm_pb2.CrmEvent(
                rep_id="rep-1", user_login=crm_pb2.UserLogin(login_at=timestamp(NOW + timedelta(days=2)))
            ),
            "one day from now",
            id="future",
        ),
        pytest.param(
            crm_pb2.CrmEvent(tenant_config_updated=crm_pb2.TenantConfigUpdated()),
            "admin API",
            id="config through ingest",
        ),
    ],
)
def test_problems(event: crm_pb2.CrmEvent, problem: str) -> None:
    assert any(problem in p for p in event_problems(event, tenant_id="acme", now=NOW))


def test_a_valid_event_is_normalized_with_a_stable_id() -> None:
    event = upsert()
    assert event_problems(event, tenant_id="acme", now=NOW) == []
    first = normalized(event, tenant_id="acme", observed_at=NOW)
    later = normalized(event, tenant_id="acme", observed_at=NOW + timedelta(minutes=5))
    assert first.event_id == later.event_id  # observation time is not part of the identity
    assert first.rep_id == "rep-1" and first.tenant_id == "acme"
    assert first.occurred_at == event.record_upserted.modified_at
    assert normalized(event, tenant_id="globex", observed_at=NOW).event_id != first.event_id
    assert normalized(upsert(stage="Won"), tenant_id="acme", observed_at=NOW).event_id != first.event_id


def test_rest_items_parse_into_events_or_reasons() -> None:
    parsed = parse_item({"type": "user_login", "rep_id": "rep-1", "login_at": "2026-11-02T08:00:00Z"})
    assert isinstance(parsed, crm_pb2.CrmEvent) and parsed.user_login.login_at.seconds > 0
    naive = parse_item({"type": "user_login", "rep_id": "rep-1", "login_at": "2026-11-02T08:00:00"})
    assert isinstance(naive, list) and "timezone" in naive[0]
    numeric = parse_item({"type": "user_login", "rep_id": "rep-1", "login_at": 1_700_000_000})
    assert isinstance(numeric, list) and "must be a string" in numeric[0]
    assert isinstance(parse_item({"type": "user_login", "extra": 1}), list)
    assert isinstance(parse_item(42), list)


def test_rest_record_upserts_say_who_made_the_change() -> None:
    base = {"type": "record_upserted", "object_type": "opportunity", "crm_id": "o1",
            "modified_at": "2026-11-02T08:00:00Z"}  # fmt: skip
    by_rep = parse_item({**base, "modified_by_rep_id": "rep-2"})
    by_admin = parse_item({**base, "modified_by_non_rep": True})
    assert isinstance(by_rep, crm_pb2.CrmEvent) and by_rep.record_upserted.modified_by_rep_id == "rep-2"
    assert isinstance(by_admin, crm_pb2.CrmEvent) and by_admin.record_upserted.modified_by_non_rep
