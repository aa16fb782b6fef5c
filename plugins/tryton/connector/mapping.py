"""Tryton rows → Groundtruth CRM events, and matched activities → Tryton activity values (pure).

CRM ids are Tryton's own reference notation, `<model>,<id>` (`party.party,12`), so an id read back
from the write-back feed names its Tryton record without a lookup table. The table of which Tryton
field becomes which event field is in docs/plugins.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from plugins.tryton.connector.reps import RepDirectory
from services.client import external_id

Row = Mapping[str, Any]
SOURCE = "tryton"
PARTY, MECHANISM, OPPORTUNITY = "party.party", "party.contact_mechanism", "sale.opportunity"
OBJECT_TYPES = {
    PARTY: crm_pb2.CRM_OBJECT_TYPE_ACCOUNT,
    MECHANISM: crm_pb2.CRM_OBJECT_TYPE_CONTACT,
    OPPORTUNITY: crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY,
}
CLOSED_STATES = frozenset({"won", "lost", "cancelled"})
# Stages in Tryton's order, open ones first: what a tenant admin sets as the tenant's stages.
STAGES = ("lead", "opportunity", "converted", "won", "lost", "cancelled")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
PARTY_FIELDS = ["id", "name", "code", "active", "create_date", "last_modified_at", "create_uid", "write_uid"]
MECHANISM_FIELDS = [
    "id", "party", "type", "value", "name", "active", "comment", "create_date", "last_modified_at",
    "create_uid", "write_uid", "write_date",
]  # fmt: skip
OPPORTUNITY_FIELDS = [
    "id", "number", "reference", "description", "comment", "state", "amount", "currency.code", "party",
    "party.rec_name", "contact", "contact.type", "contact.value", "employee", "employee.rec_name",
    "start_date", "end_date", "conversion_probability", "lost_reason", "payment_term.rec_name",
    "create_date", "last_modified_at", "create_uid", "write_uid",
]  # fmt: skip


def crm_id(model: str, record_id: int) -> str:
    return f"{model},{record_id}"


def record_id(value: str, model: str) -> int | None:
    """The Tryton id in a CRM id of `model` (`party.party,12` → 12), else None."""
    prefix = f"{model},"
    if value.startswith(prefix) and value[len(prefix) :].isdigit():
        return int(value[len(prefix) :])
    return None


def domain_of(value: str) -> str:
    """The domain of a website (`https://www.northwind.example/` → `northwind.example`) or e-mail."""
    text = value.strip().lower()
    if "@" in text:
        host = text.rsplit("@", 1)[1]
    else:
        host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    host = host.removeprefix("www.").rstrip(".")
    return host if _DOMAIN.match(host) else ""


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return stamp


def _text(value: object) -> str:
    if value is None or value is False:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _related(row: Row, name: str, field: str) -> Any:
    """A dotted field of a search_read (`currency.code` arrives as `{"currency.": {"code": ...}}`)."""
    nested = row.get(f"{name}.")
    return nested.get(field) if isinstance(nested, Mapping) else None


def _set_actor(event: crm_pb2.CrmEvent, row: Row, reps: RepDirectory) -> None:
    """Who made the change: the writer (or creator) when a rep, else someone who is not a rep."""
    user = row.get("write_uid") or row.get("create_uid")
    rep = reps.user_rep(user)
    if rep:
        event.record_upserted.modified_by_rep_id = rep
    else:
        event.record_upserted.modified_by_non_rep = True


def modified_at(row: Row) -> datetime:
    value = row.get("last_modified_at") or row.get("create_date")
    if not isinstance(value, datetime):
        raise ValueError(f"row {row.get('id')} has no modification time")
    return value


def account_event(party: Row, mechanisms: Sequence[Row], reps: RepDirectory) -> crm_pb2.CrmEvent:
    """A party as an account: its domains from its websites and e-mail addresses; modified when the
    party or any of its contact mechanisms last changed (a new website changes the account)."""
    active = [m for m in mechanisms if m.get("active", True)]
    domains: list[str] = []
    for mechanism in sorted(active, key=lambda m: (m["type"] != "website", m["id"])):
        if mechanism["type"] in ("website", "email"):
            domain = domain_of(str(mechanism.get("value") or ""))
            if domain and domain not in domains:
                domains.append(domain)
    changed = max([modified_at(party), *(modified_at(m) for m in mechanisms)])
    websites = [str(m["value"]) for m in active if m["type"] == "website"]
    event = crm_pb2.CrmEvent(source=SOURCE)
    upsert = event.record_upserted
    upsert.object_type = crm_pb2.CRM_OBJECT_TYPE_ACCOUNT
    upsert.crm_id = crm_id(PARTY, party["id"])
    upsert.name = _text(party.get("name"))
    upsert.domains.extend(domains[:100])
    upsert.fields.update(
        {"name": upsert.name, "code": _text(party.get("code")), "website": ", ".join(websites)}
    )
    upsert.modified_at.CopyFrom(_ts(changed))
    upsert.created_at.CopyFrom(_ts(party["create_date"]))
    _set_actor(event, party, reps)
    return event


def contact_event(mechanism: Row, party: Row | None, reps: RepDirectory) -> crm_pb2.CrmEvent | None:
    """An active e-mail contact mechanism as a contact of its party's account (None: not a contact)."""
    email = str(mechanism.get("value") or "").strip().lower()
    if mechanism["type"] != "email" or not mechanism.get("active", True) or not _EMAIL.match(email):
        return None
    party_name = _text(party.get("name")) if party else ""
    event = crm_pb2.CrmEvent(source=SOURCE)
    upsert = event.record_upserted
    upsert.object_type = crm_pb2.CRM_OBJECT_TYPE_CONTACT
    upsert.crm_id = crm_id(MECHANISM, mechanism["id"])
    upsert.name = _text(mechanism.get("name")) or party_name
    upsert.email = email
    upsert.account_crm_id = crm_id(PARTY, mechanism["party"])
    upsert.fields.update(
        {
            "name": _text(mechanism.get("name")),
            "party": party_name,
            "comment": _text(mechanism.get("comment")),
        }
    )
    upsert.modified_at.CopyFrom(_ts(modified_at(mechanism)))
    upsert.created_at.CopyFrom(_ts(mechanism["create_date"]))
    _set_actor(event, mechanism, reps)
    return event


def opportunity_event(row: Row, reps: RepDirectory) -> crm_pb2.CrmEvent:
    """A lead or opportunity. Tryton has no next-step field; its `comment` is sent as a field."""
    state = str(row["state"])
    owner = reps.rep_of_employee.get(row.get("employee") or 0, "")
    event = crm_pb2.CrmEvent(source=SOURCE, rep_id=owner)
    upsert = event.record_upserted
    upsert.object_type = crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY
    upsert.crm_id = crm_id(OPPORTUNITY, row["id"])
    upsert.owner_rep_id = owner
    upsert.name = _text(row.get("description")) or _text(row.get("number"))
    if row.get("party"):
        upsert.account_crm_id = crm_id(PARTY, row["party"])
    upsert.stage = state
    upsert.amount = float(row.get("amount") or 0)
    upsert.currency = _text(_related(row, "currency", "code"))
    upsert.close_date = _text(row.get("end_date"))
    upsert.is_closed = state in CLOSED_STATES
    upsert.is_won = state == "won"
    if row.get("contact") and _related(row, "contact", "type") == "email":
        upsert.contact_roles.append(
            crm_pb2.ContactRole(
                contact_crm_id=crm_id(MECHANISM, row["contact"]), role="contact", is_primary=True
            )
        )
    upsert.fields.update(
        {
            "number": _text(row.get("number")),
            "reference": _text(row.get("reference")),
            "description": _text(row.get("description")),
            "comment": _text(row.get("comment")),
            "state": state,
            "amount": _text(row.get("amount")),
            "currency": upsert.currency,
            "party": _text(_related(row, "party", "rec_name")),
            "contact": _text(_related(row, "contact", "value")),
            "employee": _text(_related(row, "employee", "rec_name")),
            "start_date": _text(row.get("start_date")),
            "end_date": _text(row.get("end_date")),
            "conversion_probability": _text(row.get("conversion_probability")),
            "lost_reason": _text(row.get("lost_reason")),
            "payment_term": _text(_related(row, "payment_term", "rec_name")),
        }
    )
    upsert.modified_at.CopyFrom(_ts(modified_at(row)))
    upsert.created_at.CopyFrom(_ts(row["create_date"]))
    _set_actor(event, row, reps)
    return event


def deleted_event(model: str, record: int, deleted_at: datetime) -> crm_pb2.CrmEvent:
    event = crm_pb2.CrmEvent(source=SOURCE)
    event.record_deleted.object_type = OBJECT_TYPES[model]
    event.record_deleted.crm_id = crm_id(model, record)
    event.record_deleted.deleted_at.CopyFrom(_ts(deleted_at))
    return event


def login_event(row: Row, reps: RepDirectory) -> crm_pb2.CrmEvent | None:
    rep = reps.user_rep(row.get("user"))
    if not rep:
        return None
    event = crm_pb2.CrmEvent(source=SOURCE, rep_id=rep)
    event.user_login.login_at.CopyFrom(_ts(row["login_at"]))
    return event


# --- out: the write-back feed -------------------------------------------------------------------

_DIRECTIONS = {
    activity_pb2.ACTIVITY_KIND_EMAIL_SENT: "sent",
    activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED: "received",
    activity_pb2.ACTIVITY_KIND_MEETING: "meeting",
}
_ROLES = {
    activity_pb2.PARTICIPANT_ROLE_FROM: "from",
    activity_pb2.PARTICIPANT_ROLE_TO: "to",
    activity_pb2.PARTICIPANT_ROLE_CC: "cc",
    activity_pb2.PARTICIPANT_ROLE_ORGANIZER: "organizer",
    activity_pb2.PARTICIPANT_ROLE_ATTENDEE: "attendee",
}


def _participants(activity: activity_pb2.Activity) -> str:
    lines = []
    for p in activity.participants:
        who = f"{p.display_name} <{p.address}>" if p.display_name else p.address
        lines.append(f"{_ROLES.get(p.role, 'participant')}: {who}")
    return "\n".join(lines)


def _utc(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def activity_item(matched: scoring_pb2.MatchedActivity, reps: RepDirectory) -> dict[str, Any]:
    """One feed entry as `groundtruth.activity.upsert_from_feed` takes it."""
    activity = matched.activity
    is_meeting = activity.kind == activity_pb2.ACTIVITY_KIND_MEETING
    state = "removed" if activity.is_deletion else "cancelled" if activity.is_cancelled else "done"
    contacts = [i for i in (record_id(c, MECHANISM) for c in matched.contact_crm_ids) if i is not None]
    return {
        "external_id": external_id(activity),
        "source_id": activity.id,
        "kind": "meeting" if is_meeting else "email",
        "direction": _DIRECTIONS.get(activity.kind, "received"),
        "subject": activity.subject if activity.HasField("subject") else None,
        "occurred_at": _utc(activity.occurred_at),
        "end_at": _utc(activity.end_at) if activity.HasField("end_at") else None,
        "party": record_id(matched.account_crm_id, PARTY),
        "opportunity": record_id(matched.opportunity_crm_id, OPPORTUNITY),
        "contacts": contacts,
        "participants": _participants(activity),
        "state": state,
        "confidence": round(matched.confidence, 4),
        "reason": matched.reason,
        "rep_id": activity.rep_id,
        "employee": reps.employee_of_rep.get(activity.rep_id),
        "feed_sequence": matched.feed_sequence,
    }


def logged_event(
    matched: scoring_pb2.MatchedActivity, copy_id: int, logged_at: datetime
) -> crm_pb2.CrmEvent | None:
    """What the write-back was, told back to Groundtruth as the rep's logged activity: keyed by the
    Tryton copy (one per captured activity), logged when Tryton first stored it (so a repeat is the
    same event). Removed items are not reported."""
    activity = matched.activity
    if activity.is_deletion or not activity.rep_id:
        return None
    event = crm_pb2.CrmEvent(source=SOURCE, rep_id=activity.rep_id)
    logged = event.activity_logged
    logged.crm_activity_id = crm_id("groundtruth.activity.copy", copy_id)
    logged.kind = (
        crm_pb2.LOGGED_ACTIVITY_KIND_MEETING
        if activity.kind == activity_pb2.ACTIVITY_KIND_MEETING
        else crm_pb2.LOGGED_ACTIVITY_KIND_EMAIL
    )
    logged.occurred_at.CopyFrom(activity.occurred_at)
    logged.logged_at.CopyFrom(_ts(logged_at))
    if matched.opportunity_crm_id:
        logged.related_crm_id = matched.opportunity_crm_id
        logged.related_object_type = crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY
    elif matched.account_crm_id:
        logged.related_crm_id = matched.account_crm_id
        logged.related_object_type = crm_pb2.CRM_OBJECT_TYPE_ACCOUNT
    logged.source_activity_id = activity.id
    return event


_CLASSES = {
    scoring_pb2.CLASSIFICATION_INSUFFICIENT_DATA: "insufficient_data",
    scoring_pb2.CLASSIFICATION_GHOST: "ghost",
    scoring_pb2.CLASSIFICATION_WORKAROUNDER: "workarounder",
    scoring_pb2.CLASSIFICATION_SKEPTIC: "skeptic",
    scoring_pb2.CLASSIFICATION_ADOPTER: "adopter",
}


def score_item(score: scoring_pb2.RepScore, reps: RepDirectory) -> dict[str, Any]:
    """A rep's score as `groundtruth.rep_score.store_scores` takes it. Without enough data the scores
    are empty, never zero."""
    known = score.classification not in (
        scoring_pb2.CLASSIFICATION_UNSPECIFIED,
        scoring_pb2.CLASSIFICATION_INSUFFICIENT_DATA,
    )
    return {
        "rep_id": score.rep_id,
        "employee": reps.employee_of_rep.get(score.rep_id),
        "team_id": score.team_id,
        "adoption_score": round(score.adoption_score, 1) if known else None,
        "data_quality_score": round(score.data_quality_score, 1) if known else None,
        "classification": _CLASSES.get(score.classification),
        "reasons": "\n".join(score.reasons),
        "window_start": date.fromisoformat(score.window_start) if score.window_start else None,
        "window_end": date.fromisoformat(score.window_end) if score.window_end else None,
        "scored_at": _utc(score.occurred_at) if score.HasField("occurred_at") else None,
    }


def chunks(events: Iterable[crm_pb2.CrmEvent], size: int = 500) -> Iterable[list[crm_pb2.CrmEvent]]:
    batch: list[crm_pb2.CrmEvent] = []
    for event in events:
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
