"""Out-of-office entries are captured as the away period alone: times, never subject or people."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.items import ItemKind, KnownItem, Sensitivity, item_from_json, item_to_json
from services.capture.domain.normalize import retraction, to_activity
from services.capture.domain.privacy import CaptureLevel, CapturePolicy, DomainSet, drop_reason
from services.capture.providers.google.calendar import is_captured, is_meeting, parse_event
from services.capture.providers.google.items import MeetingItem as GoogleMeeting
from services.capture.providers.google.neutral import meeting_item
from services.capture.providers.microsoft.parse import parse_event as parse_graph_event
from tests.unit.capture.builders import OWNER, T0, WHO, meeting

INTERNAL = DomainSet.of(["acme.example"])
AWAY = activity_pb2.ACTIVITY_KIND_AWAY


def _graph_event(show_as: str, **fields: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "oof-1",
        "start": {"dateTime": "2026-11-09T00:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-11-14T00:00:00.0000000", "timeZone": "UTC"},
        "lastModifiedDateTime": "2026-11-01T00:00:00Z",
        "organizer": {"emailAddress": {"address": OWNER}},
        "attendees": [],
        "subject": "Holiday in Lisbon",
        "isAllDay": True,
        "showAs": show_as,
    }
    raw.update(fields)
    return raw


@pytest.mark.parametrize(
    ("show_as", "away"),
    [
        pytest.param("oof", True, id="oof is away"),
        pytest.param("OOF", True, id="any case"),
        pytest.param("busy", False, id="busy is a meeting"),
        pytest.param("workingElsewhere", False, id="working elsewhere is not away"),
    ],
)
def test_graph_show_as_oof_marks_the_event_away(show_as: str, away: bool) -> None:
    event = parse_graph_event(_graph_event(show_as), previous=None)
    assert event is not None and event.is_away is away


def test_graph_partial_update_keeps_or_changes_away() -> None:
    full = parse_graph_event(_graph_event("oof"), previous=None)
    assert full is not None
    same = parse_graph_event({"id": "oof-1", "subject": "x"}, previous=full)
    assert same is not None and same.is_away
    busy = parse_graph_event({"id": "oof-1", "showAs": "busy"}, previous=full)
    assert busy is not None and not busy.is_away


def _google_oof(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "ooo1",
        "status": "confirmed",
        "summary": "Out of office: surgery",
        "eventType": "outOfOffice",
        "updated": "2026-11-01T08:00:00Z",
        "organizer": {"email": OWNER, "self": True},
        "start": {"dateTime": "2026-11-09T00:00:00Z"},
        "end": {"dateTime": "2026-11-11T00:00:00Z"},
    }
    base.update(fields)
    return base


def test_google_out_of_office_is_captured_as_away_not_a_meeting() -> None:
    item = parse_event(_google_oof())
    assert isinstance(item, GoogleMeeting)
    assert not is_meeting(item) and is_captured(item)
    neutral = meeting_item(item, observed_at=T0)
    assert neutral.is_away and neutral.start == datetime(2026, 11, 9, tzinfo=UTC)


@pytest.mark.parametrize("event_type", ["focusTime", "workingLocation", "birthday"])
def test_other_non_meetings_are_still_not_captured(event_type: str) -> None:
    item = parse_event(_google_oof(eventType=event_type))
    assert isinstance(item, GoogleMeeting) and not is_captured(item)


def _away(**changes: Any) -> Any:
    return dataclasses.replace(
        meeting("oof-1", attendees=(), subject="Holiday in Lisbon"),
        end=T0 + timedelta(days=5),
        is_all_day=True,
        is_away=True,
        **changes,
    )


@pytest.mark.parametrize("sensitivity", [pytest.param(s, id=s.value) for s in Sensitivity])
def test_away_passes_privacy_whatever_its_sensitivity_and_internal_only_people(
    sensitivity: Sensitivity,
) -> None:
    policy = CapturePolicy(internal_domains=INTERNAL)
    assert drop_reason(_away(sensitivity=sensitivity), policy=policy, mailbox=OWNER) is None
    # The same entry without the out-of-office mark is an internal-only (or private) item: dropped.
    assert (
        drop_reason(
            dataclasses.replace(_away(sensitivity=sensitivity), is_away=False), policy=policy, mailbox=OWNER
        )
        is not None
    )


@pytest.mark.parametrize("level", list(CaptureLevel))
def test_away_activity_carries_the_period_only(level: CaptureLevel) -> None:
    item = _away(attendees=meeting().attendees)
    activity = to_activity(item, who=WHO, level=level, internal=INTERNAL, observed_at=T0).activity
    assert activity.kind == AWAY
    assert activity.occurred_at.ToDatetime(UTC) == T0
    assert activity.end_at.ToDatetime(UTC) == T0 + timedelta(days=5)
    assert activity.is_all_day
    assert not activity.HasField("subject")
    assert list(activity.participants) == []
    assert activity.provider_ids.ical_uid == "" and activity.provider_ids.item_id == "oof-1"


def test_away_snapshot_round_trips_and_retracts_as_away() -> None:
    item = _away()
    assert item_from_json(item_to_json(item)) == item
    known = KnownItem("oof-1", "calendar", ItemKind.MEETING, item.start, item.modified_at, "h", snapshot=item)
    gone = retraction(known, who=WHO, observed_at=T0 + timedelta(days=1))
    assert gone.kind == AWAY and gone.is_deletion
