"""CRM events from plugins: what makes one acceptable, and the stable id the gateway gives it.

The event id is a hash of the tenant and the normalized event content. The same change sent twice
(a plugin retry, a replayed batch, an Idempotency-Key replay) gets the same id, and scoring's dedupe on
event ids makes the second delivery harmless; two different changes never share an id.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.crm.v1 import crm_pb2
from plumbing.contracts.messages import text_problems
from plumbing.contracts.text import text_problem
from services.gateway.domain.identifiers import is_domain, is_email, is_iso_date, is_rep_id, is_team_id

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_FUTURE = timedelta(days=1)
MAX_ID_CHARS = 255
MAX_TEXT_CHARS = 10_000
MAX_FIELDS = 500
MAX_LIST = 100
MAX_SOURCE_CHARS = 64

_OBJECT_TYPES = {
    crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY,
    crm_pb2.CRM_OBJECT_TYPE_CONTACT,
    crm_pb2.CRM_OBJECT_TYPE_ACCOUNT,
}


def event_problems(event: crm_pb2.CrmEvent, *, tenant_id: str, now: datetime) -> list[str]:
    """Everything wrong with one event as a plugin sent it; empty when it can be published."""
    # First the text rules over every string, nested or not: scoring stores these in PostgreSQL.
    problems: list[str] = text_problems(event)
    if event.tenant_id and event.tenant_id != tenant_id:
        problems.append("tenant_id does not match the API key's tenant (leave it empty)")
    if event.event_id:
        problems.append("event_id is assigned by the gateway (leave it empty)")
    if event.rep_id and not is_rep_id(event.rep_id):
        problems.append(f"rep_id {event.rep_id[:130]!r} is not a valid rep id")
    _text(problems, "source", event.source, MAX_SOURCE_CHARS, single_line=True)
    _time(problems, "occurred_at", event, required=False, now=now)
    kind = event.WhichOneof("payload")
    if kind is None:
        problems.append("the event has no payload (one of record_upserted, record_deleted, ...)")
    elif kind == "tenant_config_updated":
        problems.append("tenant configuration is set through the admin API, not CRM ingest")
    elif kind == "record_upserted":
        _record_upserted(problems, event.record_upserted, now)
    elif kind == "record_deleted":
        d = event.record_deleted
        _object(problems, d.object_type, d.crm_id, "record_deleted")
        _time(problems, "record_deleted.deleted_at", d, required=True, now=now, field="deleted_at")
    elif kind == "user_login":
        _needs_rep(problems, event, kind)
        _time(problems, "user_login.login_at", event.user_login, required=True, now=now, field="login_at")
    elif kind == "activity_logged":
        _needs_rep(problems, event, kind)
        _activity_logged(problems, event.activity_logged, now)
    elif kind == "forecast_submitted":
        _needs_rep(problems, event, kind)
        _forecast(problems, event.forecast_submitted, now)
    elif kind == "crm_viewed":
        _needs_rep(problems, event, kind)
        _crm_viewed(problems, event.crm_viewed, now)
    return problems


def normalized(event: crm_pb2.CrmEvent, *, tenant_id: str, observed_at: datetime) -> crm_pb2.CrmEvent:
    """The event as published: tenant, rep and occurred_at filled in, observed now, with its id."""
    out = crm_pb2.CrmEvent()
    out.CopyFrom(event)
    out.tenant_id = tenant_id
    out.ClearField("observed_at")
    out.event_id = ""
    kind = out.WhichOneof("payload")
    if kind == "record_upserted" and not out.rep_id:
        out.rep_id = out.record_upserted.owner_rep_id
    if not out.HasField("occurred_at"):
        natural = _natural_time(out)
        if natural is not None:
            out.occurred_at.CopyFrom(natural)
    out.event_id = derive_event_id(out)
    out.observed_at.FromDatetime(observed_at)
    return out


def derive_event_id(event: crm_pb2.CrmEvent) -> str:
    """A hash of the tenant and the content, ignoring the id itself and when it was observed."""
    content = crm_pb2.CrmEvent()
    content.CopyFrom(event)
    content.event_id = ""
    content.ClearField("observed_at")
    digest = hashlib.sha256(content.SerializeToString(deterministic=True)).hexdigest()
    return f"crm_{digest[:40]}"


def _natural_time(event: crm_pb2.CrmEvent) -> Timestamp | None:
    kind = event.WhichOneof("payload")
    if kind == "record_upserted":
        return event.record_upserted.modified_at
    if kind == "record_deleted":
        return event.record_deleted.deleted_at
    if kind == "user_login":
        return event.user_login.login_at
    if kind == "activity_logged":
        return event.activity_logged.logged_at
    if kind == "forecast_submitted":
        return event.forecast_submitted.submitted_at
    if kind == "crm_viewed":
        return event.crm_viewed.viewed_at
    return None


def _needs_rep(problems: list[str], event: crm_pb2.CrmEvent, kind: str) -> None:
    if not event.rep_id:
        problems.append(f"rep_id is required for {kind}")


def _object(problems: list[str], object_type: int, crm_id: str, where: str) -> None:
    if object_type not in _OBJECT_TYPES:
        problems.append(f"{where}.object_type must be opportunity, contact or account")
    _text(problems, f"{where}.crm_id", crm_id, MAX_ID_CHARS, required=True)


def _record_upserted(problems: list[str], r: crm_pb2.RecordUpserted, now: datetime) -> None:
    w = "record_upserted"
    _object(problems, r.object_type, r.crm_id, w)
    _time(problems, f"{w}.modified_at", r, required=True, now=now, field="modified_at")
    _time(problems, f"{w}.created_at", r, required=False, now=now, field="created_at")
    if r.owner_rep_id and not is_rep_id(r.owner_rep_id):
        problems.append(f"{w}.owner_rep_id is not a valid rep id")
    if r.modified_by_rep_id and not is_rep_id(r.modified_by_rep_id):
        problems.append(f"{w}.modified_by_rep_id is not a valid rep id")
    if r.modified_by_rep_id and r.modified_by_non_rep:
        problems.append(f"{w}: modified_by_rep_id and modified_by_non_rep exclude each other")
        _text(problems, f"{w}.name", r.name, MAX_TEXT_CHARS, single_line=False)
    if len(r.fields) > MAX_FIELDS:
        problems.append(f"{w}.fields has more than {MAX_FIELDS} entries")
    for name, value in r.fields.items():
        if not name or text_problem(name, max_chars=MAX_ID_CHARS, single_line=True):
            problems.append(f"{w}.fields has a field name that is empty, too long or not one line")
            break
        if len(value) > MAX_TEXT_CHARS:
            problems.append(f"{w}.fields[{name[:64]!r}] is longer than {MAX_TEXT_CHARS} characters")
            break
    if len(r.domains) > MAX_LIST:
        problems.append(f"{w}.domains has more than {MAX_LIST} entries")
    problems.extend(f"{w}.domains: {d[:64]!r} is not a domain" for d in r.domains if not is_domain(d.lower()))
    if r.email and not is_email(r.email.lower()):
        problems.append(f"{w}.email is not an e-mail address")
    for name, value in (
        ("account_crm_id", r.account_crm_id),
        ("stage", r.stage),
        ("currency", r.currency),
        ("next_step", r.next_step),
    ):
        long = name == "next_step"
        _text(problems, f"{w}.{name}", value, MAX_TEXT_CHARS if long else MAX_ID_CHARS, single_line=not long)
    # Scoring refuses a negative amount (a dead letter), so it is refused here.
    if not math.isfinite(r.amount) or r.amount < 0:
        problems.append(f"{w}.amount must be a finite number >= 0")
    if r.close_date and not is_iso_date(r.close_date):
        problems.append(f"{w}.close_date must be an ISO date (yyyy-mm-dd)")
    if r.next_step_date and not is_iso_date(r.next_step_date):
        problems.append(f"{w}.next_step_date must be an ISO date (yyyy-mm-dd)")
    if len(r.contact_roles) > MAX_LIST:
        problems.append(f"{w}.contact_roles has more than {MAX_LIST} entries")
    if any(not role.contact_crm_id for role in r.contact_roles):
        problems.append(f"{w}.contact_roles: every role needs a contact_crm_id")
    for index, role in enumerate(r.contact_roles[:MAX_LIST]):
        _text(
            problems,
            f"{w}.contact_roles[{index}].contact_crm_id",
            role.contact_crm_id,
            MAX_ID_CHARS,
            single_line=True,
        )
        _text(problems, f"{w}.contact_roles[{index}].role", role.role, MAX_ID_CHARS, single_line=True)


def _activity_logged(problems: list[str], a: crm_pb2.ActivityLogged, now: datetime) -> None:
    w = "activity_logged"
    _text(problems, f"{w}.crm_activity_id", a.crm_activity_id, MAX_ID_CHARS, required=True)
    if a.kind == crm_pb2.LOGGED_ACTIVITY_KIND_UNSPECIFIED:
        problems.append(f"{w}.kind must be email, meeting, call or task")
    _time(problems, f"{w}.occurred_at", a, required=True, now=now, field="occurred_at")
    _time(problems, f"{w}.logged_at", a, required=True, now=now, field="logged_at")
    _text(problems, f"{w}.related_crm_id", a.related_crm_id, MAX_ID_CHARS)
    _text(problems, f"{w}.source_activity_id", a.source_activity_id, MAX_ID_CHARS)


def _crm_viewed(problems: list[str], v: crm_pb2.CrmViewed, now: datetime) -> None:
    w = "crm_viewed"
    if v.kind not in _VIEW_KINDS:
        problems.append(f"{w}.kind must be report, dashboard, pipeline_review or forecast")
    _text(problems, f"{w}.name", v.name, MAX_ID_CHARS)
    if v.team_id and not is_team_id(v.team_id):
        problems.append(f"{w}.team_id is not a valid team id")
    _time(problems, f"{w}.viewed_at", v, required=True, now=now, field="viewed_at")


_VIEW_KINDS = frozenset(
    {
        crm_pb2.CRM_VIEW_KIND_REPORT,
        crm_pb2.CRM_VIEW_KIND_DASHBOARD,
        crm_pb2.CRM_VIEW_KIND_PIPELINE_REVIEW,
        crm_pb2.CRM_VIEW_KIND_FORECAST,
    }
)


def _forecast(problems: list[str], f: crm_pb2.ForecastSubmitted, now: datetime) -> None:
    w = "forecast_submitted"
    _text(problems, f"{w}.period", f.period, 64, required=True)
    for name, value in (("period_start", f.period_start), ("period_end", f.period_end)):
        if not is_iso_date(value):
            problems.append(f"{w}.{name} must be an ISO date (yyyy-mm-dd)")
    if is_iso_date(f.period_start) and is_iso_date(f.period_end) and f.period_start > f.period_end:
        problems.append(f"{w}.period_start is after period_end")
    if not math.isfinite(f.committed_amount) or f.committed_amount < 0:
        problems.append(f"{w}.committed_amount must be a finite number >= 0")
    _text(problems, f"{w}.currency", f.currency, MAX_ID_CHARS)
    _time(problems, f"{w}.submitted_at", f, required=True, now=now, field="submitted_at")


def _text(
    problems: list[str],
    name: str,
    value: str,
    limit: int,
    *,
    required: bool = False,
    single_line: bool = True,
) -> None:
    """Identifiers and labels are one line; `single_line=False` for free text (names, next steps)."""
    if required and not value.strip():
        problems.append(f"{name} is required")
        return
    problem = text_problem(value, max_chars=limit, single_line=single_line)
    if problem is not None:
        problems.append(f"{name} {problem}")


def _time(
    problems: list[str],
    name: str,
    message: Message,
    *,
    required: bool,
    now: datetime,
    field: str = "occurred_at",
) -> None:
    if not message.HasField(field):
        if required:
            problems.append(f"{name} is required")
        return
    ts: Timestamp = getattr(message, field)
    try:
        value = ts.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        problems.append(f"{name} is not a valid time")
        return
    if value < EARLIEST or value > now + MAX_FUTURE:
        problems.append(f"{name} must lie between 2000-01-01 and one day from now")
