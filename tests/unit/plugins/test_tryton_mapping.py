"""The Tryton connector's pure parts: rows → CRM events, feed entries → Tryton values, who is a rep,
and the external ids every plugin upserts by."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from plugins.tryton.connector import mapping
from plugins.tryton.connector.inbound import Watermark
from plugins.tryton.connector.jsonrpc import decode, encode
from plugins.tryton.connector.reps import build_directory
from services.client import external_id

T0 = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
REPS = build_directory(
    employees=[
        {"id": 1, "party": 10, "gt_rep_id": None},
        {"id": 2, "party": 11, "gt_rep_id": "Bo@Acme.Example"},
    ],
    users=[
        {"id": 5, "email": "ann@acme.example", "employee": 1, "employees": [1]},
        {"id": 6, "email": "admin@acme.example", "employee": None, "employees": []},
    ],
    party_emails={11: "bo.private@mail.example"},
    company_parties=[9],
)


def test_who_is_a_rep() -> None:
    assert REPS.rep_of_employee == {1: "ann@acme.example", 2: "bo@acme.example"}
    assert REPS.user_rep(5) == "ann@acme.example" and REPS.user_rep(6) == "" and REPS.user_rep(None) == ""
    assert REPS.internal_parties == frozenset({9, 10, 11})


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        pytest.param("https://www.Northwind.example/about", "northwind.example", id="website"),
        pytest.param("northwind.example", "northwind.example", id="bare host"),
        pytest.param("nora@Northwind.example", "northwind.example", id="e-mail"),
        pytest.param("not a domain", "", id="junk"),
    ],
)
def test_domains(value: str, domain: str) -> None:
    assert mapping.domain_of(value) == domain


def test_a_party_is_an_account_with_the_domains_of_its_websites_and_addresses() -> None:
    party = {
        "id": 3,
        "name": "Northwind",
        "code": "P3",
        "create_date": T0,
        "last_modified_at": T0,
        "write_uid": 6,
    }
    later = T0.replace(hour=10)
    mechanisms = [
        {
            "id": 7,
            "type": "email",
            "value": "nora@northwind-mail.example",
            "active": True,
            "last_modified_at": T0,
        },
        {
            "id": 8,
            "type": "website",
            "value": "https://northwind.example",
            "active": True,
            "last_modified_at": later,
        },
        {"id": 9, "type": "website", "value": "https://old.example", "active": False, "last_modified_at": T0},
    ]
    event = mapping.account_event(party, mechanisms, REPS)
    upsert = event.record_upserted
    assert (upsert.crm_id, upsert.object_type) == ("party.party,3", crm_pb2.CRM_OBJECT_TYPE_ACCOUNT)
    assert list(upsert.domains) == ["northwind.example", "northwind-mail.example"]
    assert upsert.modified_at.ToDatetime(tzinfo=UTC) == later, "a new website changes the account"
    assert upsert.modified_by_non_rep and not upsert.modified_by_rep_id, "the admin is not a rep"


def test_an_opportunity_maps_state_owner_and_fields() -> None:
    row = {
        "id": 4, "number": "12", "description": "Big deal", "state": "won", "amount": Decimal("1250.50"),
        "currency.": {"code": "EUR"}, "party": 3, "contact": 7,
        "contact.": {"type": "email", "value": "n@x.example"},
        "employee": 1, "end_date": datetime(2026, 12, 1).date(), "create_date": T0, "last_modified_at": T0,
        "write_uid": 5, "comment": None,
    }  # fmt: skip
    upsert = mapping.opportunity_event(row, REPS).record_upserted
    assert (upsert.owner_rep_id, upsert.stage, upsert.is_closed, upsert.is_won) == (
        "ann@acme.example",
        "won",
        True,
        True,
    )
    assert (upsert.amount, upsert.currency, upsert.close_date) == (1250.5, "EUR", "2026-12-01")
    assert upsert.account_crm_id == "party.party,3"
    assert [r.contact_crm_id for r in upsert.contact_roles] == ["party.contact_mechanism,7"]
    assert upsert.fields["comment"] == "" and upsert.fields["amount"] == "1250.50"
    assert upsert.modified_by_rep_id == "ann@acme.example"


def test_external_ids_survive_a_re_capture() -> None:
    mail = activity_pb2.Activity(id="a1", kind=activity_pb2.ACTIVITY_KIND_EMAIL_SENT)
    mail.provider_ids.internet_message_id = "<x1@acme.example>"
    again = activity_pb2.Activity(id="a2", kind=activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED)
    again.provider_ids.internet_message_id = "<x1@acme.example>"
    assert external_id(mail) == external_id(again) == "message:<x1@acme.example>"
    occurrence = activity_pb2.Activity(
        id="a3", kind=activity_pb2.ACTIVITY_KIND_MEETING, provider=activity_pb2.PROVIDER_GOOGLE
    )
    occurrence.provider_ids.ical_uid = "abc@google.com"
    occurrence.provider_ids.series_id = "abc"
    occurrence.provider_ids.item_id = "abc_20261102T090000Z"
    assert external_id(occurrence) == "ical:abc@google.com/20261102T090000Z"
    assert (
        external_id(activity_pb2.Activity(id="a4", kind=activity_pb2.ACTIVITY_KIND_MEETING))
        == "groundtruth:a4"
    )


def test_a_feed_entry_becomes_tryton_values() -> None:
    matched = scoring_pb2.MatchedActivity(
        account_crm_id="party.party,3", opportunity_crm_id="sale.opportunity,4",
        contact_crm_ids=["party.contact_mechanism,7", "hubspot-9"], confidence=0.9, reason="r",
        feed_sequence=5,
    )  # fmt: skip
    matched.activity.id = "a1"
    matched.activity.rep_id = "ann@acme.example"
    matched.activity.kind = activity_pb2.ACTIVITY_KIND_MEETING
    matched.activity.provider_ids.ical_uid = "uid-1"
    matched.activity.occurred_at.FromDatetime(T0)
    item = mapping.activity_item(matched, REPS)
    assert (item["party"], item["opportunity"], item["contacts"], item["employee"]) == (3, 4, [7], 1)
    assert (item["external_id"], item["kind"], item["state"]) == ("ical:uid-1", "meeting", "done")
    logged = mapping.logged_event(matched, 42, T0)
    assert logged is not None
    assert logged.activity_logged.crm_activity_id == "groundtruth.activity.copy,42"
    assert logged.activity_logged.source_activity_id == "a1"


def test_tryton_json_values_round_trip() -> None:
    for value in (T0, T0.date(), Decimal("1.10")):
        assert decode(encode(value)) == value  # type: ignore[arg-type]


def test_watermarks_order_and_encode() -> None:
    mark = Watermark(T0, 12)
    assert Watermark.decode(mark.encode()) == mark
    assert Watermark.decode("") < mark < Watermark(T0, 13)
