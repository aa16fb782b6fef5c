"""Calendar event resources → parsed meeting changes. Pure: no I/O, no SDK."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from services.capture.providers.google.items import (
    MeetingItem,
    MeetingRemoval,
    Participant,
    RemovalReason,
    Response,
    Role,
    Sensitivity,
)

RESPONSES = {
    "needsAction": Response.NOT_RESPONDED,
    "accepted": Response.ACCEPTED,
    "tentative": Response.TENTATIVE,
    "declined": Response.DECLINED,
}
_PRIVATE_VISIBILITIES = frozenset({"private", "confidential"})
OUT_OF_OFFICE = "outOfOffice"
# Calendar entries that are not meetings with anyone. Out-of-office entries are not meetings either,
# but they are captured: as the rep's away period (times only), so the rep is not judged on those days.
NON_MEETING_EVENT_TYPES = frozenset({OUT_OF_OFFICE, "focusTime", "workingLocation", "birthday"})


class EventParseError(ValueError):
    """An event the API returned that cannot be read (missing or malformed times)."""


def parse_event_time(when: Mapping[str, Any]) -> tuple[datetime, bool]:
    """(aware instant, all-day). `dateTime` is RFC 3339 with an offset; `date` is an all-day date,
    placed at midnight UTC because the event's zone is the calendar's and not part of the item."""
    if "dateTime" in when:
        try:
            moment = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
        except ValueError as exc:
            raise EventParseError(f"bad dateTime {when['dateTime']!r}") from exc
        if moment.tzinfo is None:
            raise EventParseError(f"dateTime without an offset: {when['dateTime']!r}")
        return moment, False
    if "date" in when:
        try:
            day = date.fromisoformat(str(when["date"]))
        except ValueError as exc:
            raise EventParseError(f"bad date {when['date']!r}") from exc
        return datetime.combine(day, time.min, UTC), True
    raise EventParseError("event time has neither dateTime nor date")


def _participant(person: Mapping[str, Any], role: Role, response: Response) -> Participant | None:
    address = str(person.get("email", "")).strip().lower()
    if "@" not in address:
        return None
    return Participant(address, str(person.get("displayName", "")).strip(), role, response)


def parse_event(resource: Mapping[str, Any]) -> MeetingItem | MeetingRemoval:
    """One item of events.list (singleEvents=true) as a meeting or a removal.

    A cancelled item is only guaranteed to carry `id` (deleted event) or `id`, `recurringEventId` and
    `originalStartTime` (cancelled occurrence), so nothing else is read from it.
    """
    event_id = str(resource["id"])
    series_id = str(resource["recurringEventId"]) if resource.get("recurringEventId") else None
    if resource.get("status") == "cancelled":
        original = resource.get("originalStartTime")
        original_start = parse_event_time(original)[0] if isinstance(original, Mapping) else None
        reason = RemovalReason.OCCURRENCE_CANCELLED if series_id else RemovalReason.DELETED
        return MeetingRemoval(event_id, reason, series_id, original_start)
    start, all_day = parse_event_time(resource.get("start") or {})
    end, _ = parse_event_time(resource.get("end") or resource.get("start") or {})
    organizer_address = str(resource.get("organizer", {}).get("email", "")).lower()
    organizer: Participant | None = None
    attendees: list[Participant] = []
    owner_response = Response.NONE
    for person in resource.get("attendees", ()):
        if person.get("resource"):
            continue  # rooms and equipment are not people
        response = RESPONSES.get(str(person.get("responseStatus")), Response.NONE)
        is_organizer = (
            bool(person.get("organizer")) or str(person.get("email", "")).lower() == organizer_address
        )
        if person.get("self"):
            owner_response = Response.ORGANIZER if is_organizer else response
        participant = (
            _participant(person, Role.ORGANIZER, Response.ORGANIZER)
            if is_organizer
            else _participant(person, Role.ATTENDEE, response)
        )
        if participant is None:
            continue
        if is_organizer and organizer is None:
            organizer = participant
        elif not is_organizer:
            attendees.append(participant)
    if organizer is None and organizer_address:
        organizer = _participant(resource["organizer"], Role.ORGANIZER, Response.ORGANIZER)
    if resource.get("organizer", {}).get("self"):
        owner_response = Response.ORGANIZER
    return MeetingItem(
        event_id=event_id,
        ical_uid=str(resource["iCalUID"]) if resource.get("iCalUID") else None,
        series_id=series_id,
        start=start,
        end=max(end, start),
        all_day=all_day,
        organizer=organizer,
        participants=tuple([organizer, *attendees] if organizer else attendees),
        owner_response=owner_response,
        subject=str(resource["summary"]) if resource.get("summary") is not None else None,
        sensitivity=Sensitivity.PRIVATE
        if resource.get("visibility") in _PRIVATE_VISIBILITIES
        else Sensitivity.NORMAL,
        tentative=resource.get("status") == "tentative",
        event_type=str(resource.get("eventType") or "default"),
        updated=_updated(resource.get("updated")),
    )


def _updated(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_meeting(item: MeetingItem) -> bool:
    """Out-of-office, focus time, working location and birthdays are calendar entries, not meetings."""
    return item.event_type not in NON_MEETING_EVENT_TYPES


def is_captured(item: MeetingItem) -> bool:
    """Meetings, and out-of-office entries (captured as away periods); never focus time and the like."""
    return is_meeting(item) or item.event_type == OUT_OF_OFFICE
