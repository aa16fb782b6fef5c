"""A rep's captured activities as `GET /v1/reps/{rep_id}/activities` answers them."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2


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
