# ruff: noqa: E501  (one event per line reads as a timeline)
"""A small CRM world and its event history, in delivery order, for the order-independence properties.

It has what makes ordering hard: contacts and accounts that change identity or disappear, a contact
that shares its address with another (a duplicate), an account that gains a domain later, deals that
close or vanish, edited manual logs, several versions of activities, two tenants with the same ids.
Every rep has at most one open deal per account, the one case where matching depends on timing (the
most recently active of several deals) being covered by its own tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from services.sandbox.synthetic import events as ev
from services.scoring.domain.activities import decode_activity
from services.scoring.domain.crm_events import decode_crm_event
from services.scoring.operations.ingest import Decoded

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
T0 = NOW - timedelta(days=20)
HISTORY_END = NOW - timedelta(hours=2)
SENT = activity_pb2.ACTIVITY_KIND_EMAIL_SENT
RECEIVED = activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED
MEETING = activity_pb2.ACTIVITY_KIND_MEETING


def at(days: float, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def _config(version: int, required: Sequence[str]) -> crm_pb2.TenantConfig:
    return crm_pb2.TenantConfig(
        version=version,
        internal_domains=["acme.example"],
        required_opportunity_fields=list(required),
        stages=["Qualify", "Propose", "Negotiate", "Closed Won", "Closed Lost"],
        go_live_date=T0.date().isoformat(),
        teams=[crm_pb2.Team(team_id="east", name="East", manager_rep_id="m1", member_rep_ids=["r1", "r2"])],
    )


def history(tenant: str = "t1") -> list[crm_pb2.CrmEvent | activity_pb2.Activity]:
    """The tenant's events in the order they happened."""
    t = tenant
    return [
        ev.tenant_config(tenant_id=t, config=_config(1, ["Budget"]), at=at(0)),
        ev.upsert(tenant_id=t, object_type="account", crm_id="A1", name="Alpha", domains=["a1.example"], modified_at=at(0, 1)),
        ev.upsert(tenant_id=t, object_type="account", crm_id="A2", name="Beta", domains=["a2.example"], modified_at=at(0, 1)),
        ev.activity(tenant_id=t, rep_id="r1", item_id="m1", kind=MEETING, occurred_at=at(1, 9), external=["x@a1.example", "z@a3.example"]),
        ev.upsert(tenant_id=t, object_type="contact", crm_id="c1", name="Xavier", email="x@a1.example", account_crm_id="A1", modified_at=at(1, 12)),
        ev.upsert(tenant_id=t, object_type="opportunity", crm_id="O1", name="Alpha renewal", owner_rep_id="r1", account_crm_id="A1", stage="Qualify", amount=1000, close_date=at(40).date(), contact_roles=[("c1", "Decision maker", True)], fields={"Budget": ""}, modified_at=at(1, 13), modified_by_rep_id="r1"),
        ev.login(tenant_id=t, rep_id="r1", at=at(2, 8)),
        ev.activity(tenant_id=t, rep_id="r1", item_id="e1", kind=SENT, occurred_at=at(2, 10), external=["x@a1.example"]),
        ev.activity(tenant_id=t, rep_id="r2", item_id="e2", kind=RECEIVED, occurred_at=at(2, 11), external=["y@a2.example", "q@gmail.com"]),
        ev.upsert(tenant_id=t, object_type="contact", crm_id="c2", name="Yvonne", email="y@a2.example", account_crm_id="A2", modified_at=at(2, 12)),
        ev.upsert(tenant_id=t, object_type="opportunity", crm_id="O2", name="Beta pilot", owner_rep_id="r2", account_crm_id="A2", stage="Qualify", amount=500, close_date=at(30).date(), modified_at=at(2, 13)),
        ev.manual_log(tenant_id=t, rep_id="r1", crm_activity_id="L1", occurred_at=at(1, 9), logged_at=at(1, 10), related_crm_id="O1", related_object_type="opportunity"),
        ev.activity(tenant_id=t, rep_id="r1", item_id="m2", kind=MEETING, occurred_at=at(3, 15), external=["w@a1.example"]),
        ev.upsert(tenant_id=t, object_type="contact", crm_id="c4", name="Walter", email="w@a1.example", account_crm_id="A1", modified_at=at(3, 16)),
        ev.upsert(tenant_id=t, object_type="opportunity", crm_id="O3", name="Alpha add-on", owner_rep_id="r2", account_crm_id="A1", stage="Propose", amount=300, close_date=at(25).date(), modified_at=at(3, 17)),
        ev.activity(tenant_id=t, rep_id="r2", item_id="e3", kind=SENT, occurred_at=at(4, 9), external=["v@a1.example", "p@a4.example"]),
        ev.upsert(tenant_id=t, object_type="account", crm_id="A3", name="Gamma", domains=[], modified_at=at(4, 10)),
        ev.upsert(tenant_id=t, object_type="contact", crm_id="c3", name="Zoe", email="z@a3.example", modified_at=at(4, 11)),
        ev.upsert(tenant_id=t, object_type="contact", crm_id="c5", name="Xavier (dup)", email="x@a1.example", account_crm_id="A2", modified_at=at(5, 9)),
        ev.activity(tenant_id=t, rep_id="r1", item_id="m1", kind=MEETING, occurred_at=at(1, 9), external=["x@a1.example", "z@a3.example"], modified_at=at(5, 10), is_cancelled=True),
        ev.upsert(tenant_id=t, object_type="account", crm_id="A3", name="Gamma", domains=["a3.example"], modified_at=at(5, 11)),
        ev.upsert(tenant_id=t, object_type="opportunity", crm_id="O1", name="Alpha renewal", owner_rep_id="r1", account_crm_id="A1", stage="Propose", amount=1200, close_date=at(40).date(), contact_roles=[("c1", "Decision maker", True)], fields={"Budget": "1200"}, modified_at=at(5, 12), modified_by_rep_id="r1"),
        ev.manual_log(tenant_id=t, rep_id="r1", crm_activity_id="L2", occurred_at=at(3, 15), logged_at=at(6, 17), related_crm_id="O1", related_object_type="opportunity"),
        ev.upsert(tenant_id=t, object_type="contact", crm_id="c4", name="Walter", email="v@a1.example", account_crm_id="A1", modified_at=at(6, 9)),
        ev.upsert(tenant_id=t, object_type="account", crm_id="A4", name="Delta", domains=["a4.example"], modified_at=at(6, 10)),
        ev.login(tenant_id=t, rep_id="r2", at=at(6, 8)),
        ev.activity(tenant_id=t, rep_id="r2", item_id="e4", kind=SENT, occurred_at=at(7, 9), external=["y@a2.example"]),
        ev.manual_log(tenant_id=t, rep_id="r2", crm_activity_id="W1", occurred_at=at(7, 9), logged_at=at(7, 10), kind=crm_pb2.LOGGED_ACTIVITY_KIND_EMAIL, related_crm_id="O2", related_object_type="opportunity", source_activity_id="e4"),
        ev.delete(tenant_id=t, object_type="opportunity", crm_id="O2", deleted_at=at(8, 9)),
        ev.upsert(tenant_id=t, object_type="opportunity", crm_id="O3", name="Alpha add-on", owner_rep_id="r2", account_crm_id="A1", stage="Closed Won", amount=300, close_date=at(8).date(), is_closed=True, is_won=True, modified_at=at(8, 12), modified_by_rep_id="r2"),
        ev.delete(tenant_id=t, object_type="account", crm_id="A4", deleted_at=at(9, 9)),
        ev.delete(tenant_id=t, object_type="contact", crm_id="c2", deleted_at=at(9, 10)),
        ev.manual_log(tenant_id=t, rep_id="r1", crm_activity_id="L2", occurred_at=at(3, 16), logged_at=at(6, 17), related_crm_id="O1", related_object_type="opportunity", edited_at=at(9, 11)),
        ev.activity(tenant_id=t, rep_id="r2", item_id="e2", kind=RECEIVED, occurred_at=at(2, 11), external=["y@a2.example", "q@gmail.com"], modified_at=at(9, 12), is_deletion=True),
        ev.login(tenant_id=t, rep_id="r1", at=at(9, 8)),
        ev.forecast(tenant_id=t, rep_id="r1", period="2026-Q4", period_start=at(0).date(), period_end=at(60).date(), committed_amount=1000, submitted_at=at(9, 13)),
        ev.forecast(tenant_id=t, rep_id="r1", period="2026-Q4", period_start=at(0).date(), period_end=at(60).date(), committed_amount=1500, submitted_at=at(10, 13)),
        ev.tenant_config(tenant_id=t, config=_config(2, ["Budget", "NextStep"]), at=at(10)),
        ev.activity(tenant_id=t, rep_id="r1", item_id="e5", kind=SENT, occurred_at=at(10, 9), external=["z@a3.example", "new@a3.example"], internal=["boss@acme.example"]),
    ]  # fmt: skip


def decode(event: crm_pb2.CrmEvent | activity_pb2.Activity) -> Decoded:
    if isinstance(event, activity_pb2.Activity):
        return decode_activity(event.SerializeToString())
    return decode_crm_event(event)


def merged_history() -> list[crm_pb2.CrmEvent | activity_pb2.Activity]:
    """Both tenants' histories interleaved: the same ids must never meet across tenants."""
    first, second = history("t1"), history("t2")[::3]
    merged: list[crm_pb2.CrmEvent | activity_pb2.Activity] = []
    for i, event in enumerate(first):
        merged.append(event)
        if i % 3 == 0 and i // 3 < len(second):
            merged.append(second[i // 3])
    return merged


def decoded_history() -> list[Decoded]:
    return [decode(e) for e in merged_history()]
