"""CRM events from gt.crm.events.v1, validated and turned into plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypeAlias

from groundtruth.crm.v1 import crm_pb2
from services.scoring.domain.instants import parse_iso_date, timestamp_us
from services.scoring.domain.records import ContactRole, CrmRecord, ObjectType
from services.scoring.domain.tenant_settings import config_problems
from services.scoring.domain.values import value_class

_OBJECT_TYPES: dict[int, ObjectType] = {
    crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY: ObjectType.OPPORTUNITY,
    crm_pb2.CRM_OBJECT_TYPE_CONTACT: ObjectType.CONTACT,
    crm_pb2.CRM_OBJECT_TYPE_ACCOUNT: ObjectType.ACCOUNT,
}
MAX_FIELDS = 1000


@dataclass(frozen=True, slots=True)
class Login:
    login_us: int


@dataclass(frozen=True, slots=True)
class CrmView(Login):
    """A report, dashboard, pipeline review or forecast opened in the CRM: CRM use that day (a login)
    and a leadership signal of its own kind (`services/scoring/domain/leadership.py`)."""

    kind: str  # report, dashboard, pipeline_review, forecast


@value_class
class ManualLog:
    """An activity the rep (or the plugin, for write-backs) entered in the CRM."""

    crm_activity_id: str
    kind: int  # crm_pb2.LoggedActivityKind
    occurred_us: int
    logged_us: int
    related_crm_id: str
    related_type: ObjectType | None
    source_activity_id: str

    @property
    def is_write_back(self) -> bool:
        return bool(self.source_activity_id)

    @property
    def is_meeting(self) -> bool:
        return self.kind == crm_pb2.LOGGED_ACTIVITY_KIND_MEETING


@dataclass(frozen=True, slots=True)
class ForecastSubmission:
    period: str
    period_start: date
    period_end: date
    committed_amount: float
    currency: str
    submitted_us: int


@dataclass(frozen=True, slots=True)
class ConfigUpdate:
    config: crm_pb2.TenantConfig

    @property
    def version(self) -> int:
        return self.config.version


CrmBody: TypeAlias = CrmRecord | Login | ManualLog | ForecastSubmission | ConfigUpdate


@value_class
class CrmChange:
    """One event of gt.crm.events.v1. `actor_rep_id` is who made a record change (may be empty)."""

    event_id: str
    tenant_id: str
    rep_id: str
    actor_rep_id: str
    occurred_us: int
    observed_us: int
    body: CrmBody


class InvalidCrmEvent(ValueError):
    """The event can never be applied; the message says why."""


def decode_crm_event(event: crm_pb2.CrmEvent) -> CrmChange:
    """Validate and convert; raises `InvalidCrmEvent` listing every problem found."""
    problems = []
    if not event.event_id:
        problems.append("event_id is empty")
    if not event.tenant_id:
        problems.append("tenant_id is empty")
    kind = event.WhichOneof("payload")
    if kind is None:
        problems.append("payload is missing")
    occurred_us = timestamp_us(event.occurred_at) if event.HasField("occurred_at") else 0
    observed_us = timestamp_us(event.observed_at) if event.HasField("observed_at") else occurred_us
    body: CrmBody | None = None
    actor = event.rep_id
    if kind == "record_upserted":
        body = _record_upserted(event, problems)
        upsert = event.record_upserted
        actor = "" if upsert.modified_by_non_rep else (upsert.modified_by_rep_id or event.rep_id)
    elif kind == "record_deleted":
        body = _record_deleted(event, occurred_us, problems)
    elif kind == "user_login":
        body = _login(event, problems)
    elif kind == "activity_logged":
        body = _activity_logged(event, problems)
    elif kind == "forecast_submitted":
        body = _forecast(event, problems)
    elif kind == "crm_viewed":
        body = _crm_viewed(event, problems)
    elif kind == "tenant_config_updated":
        problems += config_problems(event.tenant_config_updated.config)
        body = ConfigUpdate(event.tenant_config_updated.config)
    if problems or body is None:
        raise InvalidCrmEvent("invalid CrmEvent: " + "; ".join(problems))
    return CrmChange(event.event_id, event.tenant_id, event.rep_id, actor, occurred_us, observed_us, body)


def _object_type(value: int, problems: list[str], where: str) -> ObjectType:
    object_type = _OBJECT_TYPES.get(value)
    if object_type is None:
        problems.append(f"{where}.object_type is unspecified")
        return ObjectType.ACCOUNT
    return object_type


def _record_upserted(event: crm_pb2.CrmEvent, problems: list[str]) -> CrmRecord:
    upsert = event.record_upserted
    object_type = _object_type(upsert.object_type, problems, "record_upserted")
    if not upsert.crm_id:
        problems.append("record_upserted.crm_id is empty")
    if not upsert.HasField("modified_at"):
        problems.append("record_upserted.modified_at is missing")
    if len(upsert.fields) > MAX_FIELDS:
        problems.append(f"record_upserted has more than {MAX_FIELDS} fields")
    close_date = parse_iso_date(upsert.close_date)
    if upsert.close_date and close_date is None:
        problems.append(f"record_upserted.close_date {upsert.close_date!r} is not an ISO date")
    next_step_date = parse_iso_date(upsert.next_step_date)
    if upsert.next_step_date and next_step_date is None:
        problems.append(f"record_upserted.next_step_date {upsert.next_step_date!r} is not an ISO date")
    if upsert.amount < 0:
        problems.append("record_upserted.amount is negative")
    modified_us = timestamp_us(upsert.modified_at)
    return CrmRecord(
        tenant_id=event.tenant_id,
        object_type=object_type,
        crm_id=upsert.crm_id,
        version=(modified_us, event.event_id),
        owner_rep_id=upsert.owner_rep_id,
        name=upsert.name,
        fields=dict(upsert.fields),
        modified_us=modified_us,
        created_us=timestamp_us(upsert.created_at) if upsert.HasField("created_at") else 0,
        domains=tuple(sorted({d.strip().lower() for d in upsert.domains if d.strip()})),
        email=upsert.email.strip().lower(),
        account_crm_id=upsert.account_crm_id,
        stage=upsert.stage,
        amount=upsert.amount,
        currency=upsert.currency,
        close_date=close_date,
        is_closed=upsert.is_closed,
        is_won=upsert.is_won,
        next_step=upsert.next_step,
        next_step_date=next_step_date,
        contact_roles=tuple(
            ContactRole(r.contact_crm_id, r.role, r.is_primary)
            for r in upsert.contact_roles
            if r.contact_crm_id
        ),
    )


def _record_deleted(event: crm_pb2.CrmEvent, occurred_us: int, problems: list[str]) -> CrmRecord:
    deleted = event.record_deleted
    object_type = _object_type(deleted.object_type, problems, "record_deleted")
    if not deleted.crm_id:
        problems.append("record_deleted.crm_id is empty")
    deleted_us = timestamp_us(deleted.deleted_at) if deleted.HasField("deleted_at") else occurred_us
    if not deleted_us:
        problems.append("record_deleted.deleted_at (or occurred_at) is missing")
    return CrmRecord(
        tenant_id=event.tenant_id,
        object_type=object_type,
        crm_id=deleted.crm_id,
        version=(deleted_us, event.event_id),
        deleted=True,
        modified_us=deleted_us,
    )


_VIEW_KINDS = {
    crm_pb2.CRM_VIEW_KIND_REPORT: "report",
    crm_pb2.CRM_VIEW_KIND_DASHBOARD: "dashboard",
    crm_pb2.CRM_VIEW_KIND_PIPELINE_REVIEW: "pipeline_review",
    crm_pb2.CRM_VIEW_KIND_FORECAST: "forecast",
}


def _crm_viewed(event: crm_pb2.CrmEvent, problems: list[str]) -> CrmView:
    """A report, dashboard, pipeline review or forecast opened in the CRM is CRM use that day: for
    a manager it is the leadership behaviour the team sees ("pipeline reviews run in the CRM")."""
    viewed = event.crm_viewed
    if not event.rep_id:
        problems.append("rep_id is empty for crm_viewed")
    kind = _VIEW_KINDS.get(viewed.kind, "")
    if viewed.kind == crm_pb2.CRM_VIEW_KIND_UNSPECIFIED:
        problems.append("crm_viewed.kind is unspecified")
    elif not kind:
        problems.append(f"crm_viewed.kind {viewed.kind} is not known")
    if not viewed.HasField("viewed_at"):
        problems.append("crm_viewed.viewed_at is missing")
    return CrmView(timestamp_us(viewed.viewed_at), kind)


def _login(event: crm_pb2.CrmEvent, problems: list[str]) -> Login:
    if not event.rep_id:
        problems.append("rep_id is empty for user_login")
    if not event.user_login.HasField("login_at"):
        problems.append("user_login.login_at is missing")
    return Login(timestamp_us(event.user_login.login_at))


def _activity_logged(event: crm_pb2.CrmEvent, problems: list[str]) -> ManualLog:
    logged = event.activity_logged
    if not event.rep_id:
        problems.append("rep_id is empty for activity_logged")
    if not logged.crm_activity_id:
        problems.append("activity_logged.crm_activity_id is empty")
    for name in ("occurred_at", "logged_at"):
        if not logged.HasField(name):
            problems.append(f"activity_logged.{name} is missing")
    related_type = _OBJECT_TYPES.get(logged.related_object_type)
    return ManualLog(
        crm_activity_id=logged.crm_activity_id,
        kind=logged.kind,
        occurred_us=timestamp_us(logged.occurred_at),
        logged_us=timestamp_us(logged.logged_at),
        related_crm_id=logged.related_crm_id,
        related_type=related_type,
        source_activity_id=logged.source_activity_id,
    )


def _forecast(event: crm_pb2.CrmEvent, problems: list[str]) -> ForecastSubmission:
    forecast = event.forecast_submitted
    if not event.rep_id:
        problems.append("rep_id is empty for forecast_submitted")
    if not forecast.period:
        problems.append("forecast_submitted.period is empty")
    start, end = parse_iso_date(forecast.period_start), parse_iso_date(forecast.period_end)
    if start is None or end is None or end < start:
        problems.append("forecast_submitted.period_start/period_end must be ISO dates, start <= end")
    if forecast.committed_amount < 0:
        problems.append("forecast_submitted.committed_amount is negative")
    if not forecast.HasField("submitted_at"):
        problems.append("forecast_submitted.submitted_at is missing")
    return ForecastSubmission(
        period=forecast.period,
        period_start=start or date.min,
        period_end=end or date.min,
        committed_amount=forecast.committed_amount,
        currency=forecast.currency,
        submitted_us=timestamp_us(forecast.submitted_at),
    )
