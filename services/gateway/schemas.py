"""REST representations (the OpenAPI schema is generated from these and from `proto_json`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.gateway.adapters.key_store import KeyRecord
from services.gateway.identifiers import REP_ID_PATTERN, SUBSCRIPTION_PATTERN
from services.gateway.proto_json import model_for


class ProblemError(BaseModel):
    location: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; `detail` says what was wrong in words a person can act on."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = None


class ParticipantRead(BaseModel):
    address: str
    display_name: str
    role: str = Field(description="from, to, cc, organizer or attendee")
    response_status: str | None = Field(description="for meetings: accepted, tentative, declined, ...")
    is_internal: bool


class ActivityRead(BaseModel):
    id: str
    rep_id: str
    kind: str = Field(description="email_sent, email_received or meeting")
    provider: str = Field(description="microsoft or google")
    occurred_at: datetime
    end_at: datetime | None
    subject: str | None = Field(description="only when the tenant captures subjects")
    is_cancelled: bool
    is_all_day: bool
    participants: list[ParticipantRead]
    stored_at: datetime

    @classmethod
    def from_record(cls, record: scoring_pb2.ActivityRecord) -> ActivityRead:
        a = record.activity
        return cls(
            id=a.id,
            rep_id=a.rep_id,
            kind=_enum_name(activity_pb2.ActivityKind.Name(a.kind), "ACTIVITY_KIND_"),
            provider=_enum_name(activity_pb2.Provider.Name(a.provider), "PROVIDER_"),
            occurred_at=a.occurred_at.ToDatetime(tzinfo=UTC),
            end_at=a.end_at.ToDatetime(tzinfo=UTC) if a.HasField("end_at") else None,
            subject=a.subject if a.HasField("subject") else None,
            is_cancelled=a.is_cancelled,
            is_all_day=a.is_all_day,
            participants=[
                ParticipantRead(
                    address=p.address,
                    display_name=p.display_name,
                    role=_enum_name(activity_pb2.ParticipantRole.Name(p.role), "PARTICIPANT_ROLE_"),
                    response_status=(
                        _enum_name(activity_pb2.ResponseStatus.Name(p.response_status), "RESPONSE_STATUS_")
                        if p.response_status
                        else None
                    ),
                    is_internal=p.is_internal,
                )
                for p in a.participants
            ],
            stored_at=record.stored_at.ToDatetime(tzinfo=UTC),
        )


class ActivityPage(BaseModel):
    items: list[ActivityRead]
    next_page_token: str | None = Field(description="pass as page_token to get the next page")


def _enum_name(name: str, prefix: str) -> str:
    return name.removeprefix(prefix).lower()


MatchedActivityRead: Any = model_for(scoring_pb2.MatchedActivity.DESCRIPTOR)


class FeedPageRead(BaseModel):
    activities: list[MatchedActivityRead]
    cursor: str = Field(description="read on after this page; ack it once the page is written back")
    acked_cursor: str = Field(description="the subscription's stored resume point")


class FeedAckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: Annotated[str, Field(min_length=1, max_length=200)]
    subscription: Annotated[str, Field(pattern=SUBSCRIPTION_PATTERN)] = "default"


class FeedAckRead(BaseModel):
    subscription: str
    acked_cursor: str


RoleName = Literal["admin", "manager", "rep", "plugin"]


class ApiKeyRead(BaseModel):
    key_id: str
    prefix: str = Field(description="the start of the key, to recognise it: gt_<key_id>_...")
    name: str
    role: RoleName
    rep_id: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="updated at most once a minute")

    @classmethod
    def of(cls, record: KeyRecord) -> ApiKeyRead:
        return cls(
            key_id=record.key_id,
            prefix=f"gt_{record.key_id}_",
            name=record.name,
            role=record.role.value,
            rep_id=record.rep_id,
            created_at=record.created_at,
            created_by=record.created_by,
            revoked_at=record.revoked_at,
            last_used_at=record.last_used_at,
        )


class ApiKeyList(BaseModel):
    keys: list[ApiKeyRead]


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: RoleName
    rep_id: Annotated[str, Field(pattern=REP_ID_PATTERN)] | None = Field(
        default=None, description="required for rep and manager keys, absent for admin and plugin keys"
    )


class ApiKeyCreated(BaseModel):
    key: ApiKeyRead
    secret: str = Field(description="the API key itself; shown only now, store it safely")
