"""The demo organisation in Tryton (`make run CRM=tryton` and the Tryton tests).

The demo's CRM records (accounts with their domains, contacts, opportunities with owners, stages,
amounts and close dates) are created in Tryton through its API, in their latest state; from then on
Groundtruth hears about them only through the connector, as it would from any Tryton.

Tryton cannot back-date a record: everything it holds was created now, by the administrator (so the
connector reports it as no rep's write). The 60 days of CRM *history* (logins, logged meetings,
forecasts, the reps' past edits) are replayed through the gateway, with the demo's record ids
replaced by the Tryton ids (`history`), as if the connector had been running all along.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from groundtruth.crm.v1 import crm_pb2
from plugins.tryton.connector import mapping
from plugins.tryton.connector.inbound import load_directory
from plugins.tryton.connector.jsonrpc import TrytonRpc
from plugins.tryton.sandbox import seed
from services.sandbox.demo.story import DemoStory

DEMO_COMPANY = "Contoso"
REP_PASSWORD = "demo-rep-password"  # every demo user's password (their login: the address's local part)
INTEGRATION_PASSWORD = "groundtruth-connector"
ADMIN_PASSWORD = "admin-demo-password"
# The demo's required fields as Tryton names them: `Budget` is the amount, the next step is written in
# the comment (Tryton has no next-step field).
REQUIRED_FIELDS = ["amount", "comment"]
_BATCH = 100


@dataclass(frozen=True)
class TrytonDemo:
    """What the loader created: the demo's record ids → Tryton CRM ids, and each rep's employee/user."""

    ids: Mapping[str, str]
    employees: Mapping[str, int]
    users: Mapping[str, int]
    company: seed.Company


def latest_records(events: Iterable[crm_pb2.CrmEvent]) -> dict[str, crm_pb2.RecordUpserted]:
    """The last state of each record the history upserted and did not delete, by CRM id."""
    latest: dict[str, crm_pb2.RecordUpserted] = {}
    for event in events:
        kind = event.WhichOneof("payload")
        if kind == "record_upserted":
            r = event.record_upserted
            known = latest.get(r.crm_id)
            if known is None or r.modified_at.ToNanoseconds() >= known.modified_at.ToNanoseconds():
                latest[r.crm_id] = r
        elif kind == "record_deleted":
            latest.pop(event.record_deleted.crm_id, None)
    return latest


async def load(
    rpc: TrytonRpc, events: Sequence[crm_pb2.CrmEvent], people: Sequence[tuple[str, str, str | None]]
) -> TrytonDemo:
    """Create the company, an employee and user per person (rep id, name, manager's rep id), the
    integration user and the records; when the company exists already, find them instead."""
    existing = await rpc.search_read("company.company", [], ["id"])
    company = await seed.ensure_company(rpc, DEMO_COMPANY)
    if existing:
        return await _find(rpc, events, company)
    employees: dict[str, int] = {}
    users: dict[str, int] = {}
    for rep_id, name, manager in sorted(people, key=lambda p: p[2] is not None):
        employees[rep_id], users[rep_id] = await seed.create_employee(
            rpc, company, name=name, email=rep_id, login=rep_id.split("@")[0], password=REP_PASSWORD,
            supervisor=employees.get(manager or ""),
        )  # fmt: skip
    await seed.create_integration_user(rpc, company, password=INTEGRATION_PASSWORD)
    records = latest_records(events)
    by_type = _by_type(records)
    ids: dict[str, str] = {}
    accounts = by_type[crm_pb2.CRM_OBJECT_TYPE_ACCOUNT]
    contacts_of: dict[str, list[crm_pb2.RecordUpserted]] = {}
    for contact in by_type[crm_pb2.CRM_OBJECT_TYPE_CONTACT]:
        contacts_of.setdefault(contact.account_crm_id, []).append(contact)
    for start in range(0, len(accounts), _BATCH):
        batch = accounts[start : start + _BATCH]
        values = [_party_values(a, contacts_of.get(a.crm_id, [])) for a in batch]
        created = await rpc.call("model.party.party.create", values)
        for account, party in zip(batch, created, strict=True):
            ids[account.crm_id] = mapping.crm_id(mapping.PARTY, party)
    await _map_contacts(rpc, by_type[crm_pb2.CRM_OBJECT_TYPE_CONTACT], ids)
    opportunities = by_type[crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY]
    for start in range(0, len(opportunities), _BATCH):
        batch = [o for o in opportunities[start : start + _BATCH] if o.account_crm_id in ids]
        values = [_opportunity_values(o, ids, employees, company) for o in batch]
        created = await rpc.call("model.sale.opportunity.create", values)
        for opportunity, record in zip(batch, created, strict=True):
            ids[opportunity.crm_id] = mapping.crm_id(mapping.OPPORTUNITY, record)
        for state in ("opportunity", "won", "lost"):
            chosen = [r for o, r in zip(batch, created, strict=True) if _state(o) == state]
            if chosen:  # the administrator sets the outcome the history reached
                await rpc.call("model.sale.opportunity.write", chosen, {"state": state})
    return TrytonDemo(ids, employees, users, company)


def history(events: Iterable[crm_pb2.CrmEvent], ids: Mapping[str, str]) -> list[crm_pb2.CrmEvent]:
    """The demo's CRM events under the Tryton ids; events about records Tryton does not hold dropped."""
    out = []
    for event in events:
        copy = crm_pb2.CrmEvent()
        copy.CopyFrom(event)
        copy.source = mapping.SOURCE
        kind = copy.WhichOneof("payload")
        if kind == "record_upserted":
            r = copy.record_upserted
            if r.crm_id not in ids:
                continue
            r.crm_id = ids[r.crm_id]
            r.account_crm_id = ids.get(r.account_crm_id, "")
            kept = [role for role in r.contact_roles if role.contact_crm_id in ids]
            del r.contact_roles[:]
            for role in kept:
                r.contact_roles.append(
                    crm_pb2.ContactRole(
                        contact_crm_id=ids[role.contact_crm_id], role=role.role, is_primary=role.is_primary
                    )
                )
        elif kind == "record_deleted":
            continue
        elif kind == "activity_logged" and copy.activity_logged.related_crm_id:
            copy.activity_logged.related_crm_id = ids.get(copy.activity_logged.related_crm_id, "")
        out.append(copy)
    return out


def live_events(events: Iterable[crm_pb2.CrmEvent], ids: Mapping[str, str]) -> list[crm_pb2.CrmEvent]:
    """What the demo keeps pushing while it runs, under Tryton: logins and logged meetings only; a
    record changes in Tryton, never around it."""
    return [e for e in history(events, ids) if e.WhichOneof("payload") != "record_upserted"]


def config_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The demo tenant's configuration, for a tenant whose CRM is Tryton: Tryton's field names and
    stages, and no weight on next steps (Tryton has no such field)."""
    return {
        **body,
        "required_opportunity_fields": REQUIRED_FIELDS,
        "stages": list(mapping.STAGES),
        "score_weights": {**dict(body.get("score_weights") or {}), "next_steps_present": 0.0},
    }


def _by_type(records: Mapping[str, crm_pb2.RecordUpserted]) -> dict[int, list[crm_pb2.RecordUpserted]]:
    out: dict[int, list[crm_pb2.RecordUpserted]] = {t: [] for t in mapping.OBJECT_TYPES.values()}
    for crm_id in sorted(records):
        out.setdefault(records[crm_id].object_type, []).append(records[crm_id])
    return out


def _party_values(
    account: crm_pb2.RecordUpserted, contacts: Sequence[crm_pb2.RecordUpserted]
) -> dict[str, Any]:
    mechanisms: list[dict[str, Any]] = [
        {"type": "website", "value": f"https://www.{d}"} for d in account.domains
    ]
    mechanisms += [{"type": "email", "value": c.email, "name": c.name} for c in contacts if c.email]
    return {"name": account.name, "contact_mechanisms": [("create", mechanisms)]}


async def _map_contacts(
    rpc: TrytonRpc, contacts: Sequence[crm_pb2.RecordUpserted], ids: dict[str, str]
) -> None:
    parties = sorted(
        {
            mapping.record_id(ids[c.account_crm_id], mapping.PARTY) or 0
            for c in contacts
            if c.account_crm_id in ids
        }
    )
    rows = await rpc.search_read(
        mapping.MECHANISM, [("party", "in", parties), ("type", "=", "email")], ["id", "party", "value"]
    ) if parties else []  # fmt: skip
    by_key = {(r["party"], str(r["value"]).lower()): r["id"] for r in rows}
    for contact in contacts:
        party = mapping.record_id(ids.get(contact.account_crm_id, ""), mapping.PARTY)
        mechanism = by_key.get((party, contact.email.lower()))
        if mechanism is not None:
            ids[contact.crm_id] = mapping.crm_id(mapping.MECHANISM, mechanism)


def _state(opportunity: crm_pb2.RecordUpserted) -> str:
    if opportunity.is_closed:
        return "won" if opportunity.is_won else "lost"
    return "opportunity"


def _opportunity_values(
    o: crm_pb2.RecordUpserted, ids: Mapping[str, str], employees: Mapping[str, int], company: seed.Company
) -> dict[str, Any]:
    budget = o.fields.get("Budget", "").strip()
    primary = next(
        (r.contact_crm_id for r in o.contact_roles if r.is_primary and r.contact_crm_id in ids), ""
    )
    return {
        "description": o.name,
        "reference": o.crm_id,  # the demo's own id, to find the record again after a restart
        "party": mapping.record_id(ids[o.account_crm_id], mapping.PARTY),
        "contact": mapping.record_id(ids[primary], mapping.MECHANISM) if primary else None,
        "employee": employees.get(o.owner_rep_id),
        "company": company.id,
        "currency": company.currency,
        "amount": Decimal(str(round(o.amount, 2))) if budget and o.amount else None,
        "end_date": date.fromisoformat(o.close_date) if o.close_date else None,
        "comment": f"Next step: {o.next_step}" if o.next_step.strip() else None,
    }


async def _find(rpc: TrytonRpc, events: Sequence[crm_pb2.CrmEvent], company: seed.Company) -> TrytonDemo:
    """The ids of a database loaded by an earlier start (parties by name, contacts by address,
    opportunities by the demo id kept in their reference)."""
    records = latest_records(events)
    by_type = _by_type(records)
    ids: dict[str, str] = {}
    names = {a.name: a.crm_id for a in by_type[crm_pb2.CRM_OBJECT_TYPE_ACCOUNT]}
    for row in await rpc.search_read(mapping.PARTY, [("name", "in", sorted(names))], ["id", "name"]):
        ids[names[row["name"]]] = mapping.crm_id(mapping.PARTY, row["id"])
    await _map_contacts(rpc, by_type[crm_pb2.CRM_OBJECT_TYPE_CONTACT], ids)
    for row in await rpc.search_read(mapping.OPPORTUNITY, [("reference", "!=", None)], ["id", "reference"]):
        ids[str(row["reference"])] = mapping.crm_id(mapping.OPPORTUNITY, row["id"])
    reps = await load_directory(rpc)
    users = {rep: user for user, rep in sorted(reps.rep_of_user.items(), reverse=True)}
    return TrytonDemo(ids, dict(reps.employee_of_rep), users, company)


def people(story: DemoStory) -> list[tuple[str, str, str | None]]:
    """(rep id, name, manager's rep id) of everyone in the demo: managers first."""
    managers = {t.team_id: t.manager_rep_id for t in story.organisation.teams}
    return [
        *((t.manager_rep_id, t.manager_name, None) for t in story.organisation.teams),
        *((r.rep_id, r.name, managers.get(r.team_id)) for r in story.reps),
    ]
