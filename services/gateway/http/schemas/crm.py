"""CRM events as plugins send them over REST, and their conversion to `groundtruth.crm.v1.CrmEvent`.

The batch envelope is validated as a whole (it must be a list of 1..max items); each item is then
validated on its own, so one bad event is reported by index without failing its neighbours.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from google.protobuf.timestamp_pb2 import Timestamp as ProtoTimestamp
from pydantic import BaseModel, ConfigDict, Field, SkipValidation, TypeAdapter, ValidationError

from groundtruth.crm.v1 import crm_pb2
from plumbing.contracts.text import FILLED_LINE_PATTERN
from services.gateway.domain.identifiers import REP_ID_PATTERN, TEAM_ID_PATTERN
from services.gateway.http.schemas.types import (
    Boolean,
    Domain,
    Id255,
    IsoDate,
    Line64,
    Line255,
    Number,
    OptionalEmail,
    Text10k,
    Timestamp,
)

MAX_BATCH_EVENTS = 500
ObjectType = Literal["opportunity", "contact", "account"]
_OBJECT_TYPES = {
    "opportunity": crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY,
    "contact": crm_pb2.CRM_OBJECT_TYPE_CONTACT,
    "account": crm_pb2.CRM_OBJECT_TYPE_ACCOUNT,
}
_LOGGED_KINDS = {
    "email": crm_pb2.LOGGED_ACTIVITY_KIND_EMAIL,
    "meeting": crm_pb2.LOGGED_ACTIVITY_KIND_MEETING,
    "call": crm_pb2.LOGGED_ACTIVITY_KIND_CALL,
    "task": crm_pb2.LOGGED_ACTIVITY_KIND_TASK,
}
CrmId = Id255
RepId = Annotated[str, Field(pattern=REP_ID_PATTERN)]
ShortText = Line255
LongText = Text10k


class _EventBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rep_id: RepId | None = Field(default=None, description="the acting or owning rep")
    occurred_at: Timestamp | None = Field(
        default=None, description="when it happened in the CRM; defaults to the event's own time"
    )
    source: Line64 = Field(default="", description='plugin name, e.g. "salesforce"')

    def envelope(self) -> crm_pb2.CrmEvent:
        event = crm_pb2.CrmEvent(rep_id=self.rep_id or "", source=self.source)
        if self.occurred_at is not None:
            event.occurred_at.CopyFrom(_ts(self.occurred_at))
        return event


class ContactRoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact_crm_id: CrmId
    role: ShortText = ""
    is_primary: Boolean = False


class RecordUpsertedIn(_EventBase):
    """A CRM record was created or changed; a later `modified_at` wins over an earlier one."""

    type: Literal["record_upserted"]
    object_type: ObjectType
    crm_id: CrmId
    modified_at: Timestamp
    created_at: Timestamp | None = None
    owner_rep_id: RepId | None = None
    name: LongText = ""
    fields: Annotated[dict[Id255, LongText], Field(max_length=500)] = Field(
        default_factory=dict, description="every CRM field by API name"
    )
    domains: Annotated[list[Domain], Field(max_length=100)] = Field(default_factory=list)
    email: OptionalEmail = ""
    account_crm_id: ShortText = ""
    stage: ShortText = ""
    amount: Annotated[Number, Field(ge=0, allow_inf_nan=False)] = 0.0
    currency: ShortText = ""
    close_date: IsoDate | None = None
    is_closed: Boolean = False
    is_won: Boolean = False
    next_step: LongText = ""
    next_step_date: Annotated[
        IsoDate | None, Field(description="when the next step is due; review-ready needs today or later")
    ] = None
    contact_roles: Annotated[list[ContactRoleIn], Field(max_length=100)] = Field(default_factory=list)
    modified_by_rep_id: RepId | None = Field(
        default=None, description="the rep who made the change (default: the event's rep_id)"
    )
    modified_by_non_rep: Boolean = Field(
        default=False,
        description="made by an administrator, an import or an automation: counts as no rep's CRM write",
    )

    def to_proto(self) -> crm_pb2.CrmEvent:
        event = self.envelope()
        r = event.record_upserted
        r.object_type = _OBJECT_TYPES[self.object_type]
        r.crm_id = self.crm_id
        r.modified_at.CopyFrom(_ts(self.modified_at))
        if self.created_at is not None:
            r.created_at.CopyFrom(_ts(self.created_at))
        r.owner_rep_id = self.owner_rep_id or ""
        r.name = self.name
        r.fields.update(self.fields)
        r.domains.extend(d.lower() for d in self.domains)
        r.email = self.email.lower()
        r.account_crm_id = self.account_crm_id
        r.stage = self.stage
        r.amount = self.amount
        r.currency = self.currency
        r.close_date = self.close_date.isoformat() if self.close_date else ""
        r.is_closed = self.is_closed
        r.is_won = self.is_won
        r.next_step = self.next_step
        r.modified_by_rep_id = self.modified_by_rep_id or ""
        r.modified_by_non_rep = self.modified_by_non_rep
        r.next_step_date = self.next_step_date.isoformat() if self.next_step_date else ""
        for role in self.contact_roles:
            r.contact_roles.append(
                crm_pb2.ContactRole(
                    contact_crm_id=role.contact_crm_id, role=role.role, is_primary=role.is_primary
                )
            )
        return event


class RecordDeletedIn(_EventBase):
    type: Literal["record_deleted"]
    object_type: ObjectType
    crm_id: CrmId
    deleted_at: Timestamp

    def to_proto(self) -> crm_pb2.CrmEvent:
        event = self.envelope()
        event.record_deleted.object_type = _OBJECT_TYPES[self.object_type]
        event.record_deleted.crm_id = self.crm_id
        event.record_deleted.deleted_at.CopyFrom(_ts(self.deleted_at))
        return event


class UserLoginIn(_EventBase):
    """The rep (`rep_id`, required) logged in to the CRM."""

    rep_id: RepId = Field(description="the rep it is about (required)")

    type: Literal["user_login"]
    login_at: Timestamp

    def to_proto(self) -> crm_pb2.CrmEvent:
        event = self.envelope()
        event.user_login.login_at.CopyFrom(_ts(self.login_at))
        return event


class ActivityLoggedIn(_EventBase):
    """The rep (`rep_id`, required) logged an activity by hand, or the plugin wrote one back."""

    rep_id: RepId = Field(description="the rep it is about (required)")

    type: Literal["activity_logged"]
    crm_activity_id: CrmId
    kind: Literal["email", "meeting", "call", "task"]
    activity_occurred_at: Timestamp = Field(description="when the meeting or call happened")
    logged_at: Timestamp = Field(description="when it was entered in the CRM")
    related_crm_id: ShortText = ""
    related_object_type: ObjectType | None = None
    source_activity_id: ShortText = Field(
        default="", description="set when this is a write-back of one of our matched activities"
    )

    def to_proto(self) -> crm_pb2.CrmEvent:
        event = self.envelope()
        a = event.activity_logged
        a.crm_activity_id = self.crm_activity_id
        a.kind = _LOGGED_KINDS[self.kind]
        a.occurred_at.CopyFrom(_ts(self.activity_occurred_at))
        a.logged_at.CopyFrom(_ts(self.logged_at))
        a.related_crm_id = self.related_crm_id
        if self.related_object_type is not None:
            a.related_object_type = _OBJECT_TYPES[self.related_object_type]
        a.source_activity_id = self.source_activity_id
        return event


class ForecastSubmittedIn(_EventBase):
    """The rep (`rep_id`, required) submitted a forecast for a period."""

    rep_id: RepId = Field(description="the rep it is about (required)")

    type: Literal["forecast_submitted"]
    period: Annotated[str, Field(min_length=1, max_length=64, pattern=FILLED_LINE_PATTERN)]
    period_start: IsoDate
    period_end: IsoDate
    committed_amount: Annotated[Number, Field(ge=0, allow_inf_nan=False)]
    currency: ShortText = ""
    submitted_at: Timestamp

    def to_proto(self) -> crm_pb2.CrmEvent:
        event = self.envelope()
        f = event.forecast_submitted
        f.period = self.period
        f.period_start = self.period_start.isoformat()
        f.period_end = self.period_end.isoformat()
        f.committed_amount = self.committed_amount
        f.currency = self.currency
        f.submitted_at.CopyFrom(_ts(self.submitted_at))
        return event


_VIEW_KINDS = {
    "report": crm_pb2.CRM_VIEW_KIND_REPORT,
    "dashboard": crm_pb2.CRM_VIEW_KIND_DASHBOARD,
    "pipeline_review": crm_pb2.CRM_VIEW_KIND_PIPELINE_REVIEW,
    "forecast": crm_pb2.CRM_VIEW_KIND_FORECAST,
}


class CrmViewedIn(_EventBase):
    """The rep (`rep_id`, required; a manager or executive, usually) opened a report, a dashboard, a
    pipeline review or a forecast in the CRM: leadership behaviour beyond logging in."""

    rep_id: RepId = Field(description="the rep it is about (required)")

    type: Literal["crm_viewed"]
    kind: Literal["report", "dashboard", "pipeline_review", "forecast"]
    name: ShortText = Field(default="", description="the report's or dashboard's name")
    viewed_at: Timestamp
    team_id: Annotated[str, Field(pattern=TEAM_ID_PATTERN)] | None = Field(
        default=None, description="the team it was about"
    )

    def to_proto(self) -> crm_pb2.CrmEvent:
        event = self.envelope()
        v = event.crm_viewed
        v.kind = _VIEW_KINDS[self.kind]
        v.name = self.name
        v.viewed_at.CopyFrom(_ts(self.viewed_at))
        v.team_id = self.team_id or ""
        return event


CrmEventIn = Annotated[
    RecordUpsertedIn | RecordDeletedIn | UserLoginIn | ActivityLoggedIn | ForecastSubmittedIn | CrmViewedIn,
    Field(discriminator="type"),
]
_EVENT = TypeAdapter[
    RecordUpsertedIn | RecordDeletedIn | UserLoginIn | ActivityLoggedIn | ForecastSubmittedIn | CrmViewedIn
](CrmEventIn)


class CrmEventBatchIn(BaseModel):
    """A batch of CRM events. Items are validated one by one: see the per-item results."""

    model_config = ConfigDict(extra="forbid")
    events: Annotated[list[SkipValidation[CrmEventIn]], Field(min_length=1, max_length=MAX_BATCH_EVENTS)]


def parse_item(raw: Any) -> crm_pb2.CrmEvent | list[str]:
    """One item of a batch as an event, or the reasons it is not one."""
    try:
        return _EVENT.validate_python(raw).to_proto()
    except (UnicodeError, ValueError) as exc:
        if not isinstance(exc, ValidationError):  # a string protobuf cannot hold; the schema refuses it first
            return [f"the event holds text that is not valid Unicode ({type(exc).__name__})"]
        return [
            (".".join(str(p) for p in e["loc"]) + ": " if e["loc"] else "") + e["msg"] for e in exc.errors()
        ]


class IngestItemRead(BaseModel):
    index: int
    event_id: str | None = Field(description="the id the event was published under; null when rejected")
    errors: list[str]


class IngestRead(BaseModel):
    accepted: int
    rejected: int
    items: list[IngestItemRead]


def _ts(value: Any) -> ProtoTimestamp:
    ts = ProtoTimestamp()
    ts.FromDatetime(value)
    return ts
