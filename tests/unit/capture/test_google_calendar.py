"""Calendar events → meeting items and removals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.capture.providers.google.calendar import (
    EventParseError,
    is_meeting,
    parse_event,
    parse_event_time,
)
from services.capture.providers.google.items import (
    MeetingItem,
    MeetingRemoval,
    RemovalReason,
    Response,
    Role,
    Sensitivity,
)

OWNER = "ana.reyes@acme.example"


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "calendar#event",
        "id": "k63ri5r402ojfljooa9lqsaj41",
        "status": "confirmed",
        "summary": "Discovery call",
        "iCalUID": "k63ri5r402ojfljooa9lqsaj41@google.com",
        "updated": "2026-11-10T08:00:00.123Z",
        "organizer": {"email": OWNER, "self": True},
        "start": {"dateTime": "2026-11-11T15:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2026-11-11T15:45:00Z", "timeZone": "UTC"},
        "attendees": [
            {"email": OWNER, "organizer": True, "self": True, "responseStatus": "accepted"},
            {"email": "Hank.Scorpio@globex.example", "displayName": "Hank", "responseStatus": "needsAction"},
            {"email": "max.muller@acme.example", "responseStatus": "tentative"},
            {"email": "room-1@resource.calendar.google.com", "resource": True, "responseStatus": "accepted"},
        ],
    }
    base.update(fields)
    return base


def test_meeting_with_attendees() -> None:
    item = parse_event(event())
    assert isinstance(item, MeetingItem)
    assert item.start == datetime(2026, 11, 11, 15, tzinfo=UTC)
    assert item.end - item.start == timedelta(minutes=45)
    assert not item.all_day
    assert item.ical_uid == "k63ri5r402ojfljooa9lqsaj41@google.com"
    assert item.owner_response is Response.ORGANIZER
    assert item.updated == datetime(2026, 11, 10, 8, 0, 0, 123000, tzinfo=UTC)
    assert [(p.address, p.role, p.response) for p in item.participants] == [
        (OWNER, Role.ORGANIZER, Response.ORGANIZER),
        ("hank.scorpio@globex.example", Role.ATTENDEE, Response.NOT_RESPONDED),
        ("max.muller@acme.example", Role.ATTENDEE, Response.TENTATIVE),
    ]
    assert item.organizer is not None and item.organizer.address == OWNER
    assert item.sensitivity is Sensitivity.NORMAL and item.series_id is None and is_meeting(item)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("accepted", Response.ACCEPTED, id="accepted"),
        pytest.param("declined", Response.DECLINED, id="declined"),
        pytest.param("tentative", Response.TENTATIVE, id="tentative"),
        pytest.param("needsAction", Response.NOT_RESPONDED, id="needs action"),
        pytest.param(None, Response.NONE, id="missing"),
        pytest.param("somethingNew", Response.NONE, id="unknown value"),
    ],
)
def test_owner_response_as_invitee(status: str | None, expected: Response) -> None:
    me: dict[str, Any] = {"email": OWNER, "self": True}
    if status is not None:
        me["responseStatus"] = status
    item = parse_event(
        event(
            organizer={"email": "hank@globex.example"},
            attendees=[{"email": "hank@globex.example", "organizer": True}, me],
        )
    )
    assert isinstance(item, MeetingItem)
    assert item.owner_response is expected
    assert [p.role for p in item.participants] == [Role.ORGANIZER, Role.ATTENDEE]


def test_organizer_not_among_attendees() -> None:
    item = parse_event(event(organizer={"email": "Boss@Acme.example", "displayName": "Boss"}, attendees=[]))
    assert isinstance(item, MeetingItem)
    assert item.organizer is not None
    assert (item.organizer.address, item.organizer.display_name) == ("boss@acme.example", "Boss")
    assert item.participants == (item.organizer,)


def test_all_day_event() -> None:
    item = parse_event(event(start={"date": "2026-11-21"}, end={"date": "2026-11-22"}))
    assert isinstance(item, MeetingItem)
    assert item.all_day
    assert (item.start, item.end) == (datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))


def test_offset_is_kept() -> None:
    item = parse_event(
        event(start={"dateTime": "2026-11-04T09:15:00-05:00"}, end={"dateTime": "2026-11-04T09:45:00-05:00"})
    )
    assert isinstance(item, MeetingItem)
    assert item.start == datetime(2026, 11, 4, 9, 15, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        pytest.param("private", Sensitivity.PRIVATE, id="private"),
        pytest.param("confidential", Sensitivity.PRIVATE, id="confidential"),
        pytest.param("public", Sensitivity.NORMAL, id="public"),
        pytest.param("default", Sensitivity.NORMAL, id="default"),
    ],
)
def test_visibility(visibility: str, expected: Sensitivity) -> None:
    item = parse_event(event(visibility=visibility))
    assert isinstance(item, MeetingItem) and item.sensitivity is expected


def test_occurrence_of_a_series() -> None:
    item = parse_event(
        event(
            id="j80jibagi5_20261110T090000Z",
            recurringEventId="j80jibagi5",
            originalStartTime={"dateTime": "2026-11-10T09:00:00Z"},
            status="tentative",
        )
    )
    assert isinstance(item, MeetingItem)
    assert item.series_id == "j80jibagi5" and item.tentative


def test_deleted_event_carries_only_its_id() -> None:
    assert parse_event({"id": "gone1", "status": "cancelled"}) == MeetingRemoval(
        "gone1", RemovalReason.DELETED, None, None
    )


def test_cancelled_occurrence() -> None:
    removal = parse_event(
        {
            "id": "j80jibagi5_20261103T090000Z",
            "status": "cancelled",
            "recurringEventId": "j80jibagi5",
            "originalStartTime": {"dateTime": "2026-11-03T09:00:00Z", "timeZone": "UTC"},
        }
    )
    assert removal == MeetingRemoval(
        "j80jibagi5_20261103T090000Z",
        RemovalReason.OCCURRENCE_CANCELLED,
        "j80jibagi5",
        datetime(2026, 11, 3, 9, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "event_type", [pytest.param(t, id=t) for t in ("outOfOffice", "focusTime", "workingLocation", "birthday")]
)
def test_non_meetings(event_type: str) -> None:
    item = parse_event(event(eventType=event_type))
    assert isinstance(item, MeetingItem) and not is_meeting(item)


@pytest.mark.parametrize(
    "when",
    [
        pytest.param({}, id="empty"),
        pytest.param({"dateTime": "2026-11-04T09:15:00"}, id="no offset"),
        pytest.param({"dateTime": "yesterday"}, id="not a time"),
        pytest.param({"date": "2026-13-01"}, id="bad date"),
    ],
)
def test_unreadable_times(when: dict[str, str]) -> None:
    with pytest.raises(EventParseError):
        parse_event_time(when)
    with pytest.raises(EventParseError):
        parse_event(event(start=when))


def test_end_never_before_start() -> None:
    item = parse_event(event(end={"dateTime": "2026-11-11T14:00:00Z"}))
    assert isinstance(item, MeetingItem) and item.end == item.start
