"""The emulator's Calendar semantics: recurrence, singleEvents/showDeleted, windows, sync tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.sandbox.emulators.google.calendar import Calendar, ListParams
from services.sandbox.emulators.google.errors import ApiError
from services.sandbox.emulators.google.recurrence import basic_format, occurrences, parse_rule
from services.sandbox.emulators.google.world import GoogleWorld

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("rule", "horizon", "expected"),
    [
        pytest.param(
            "RRULE:FREQ=DAILY;COUNT=3",
            None,
            [T0, T0 + timedelta(days=1), T0 + timedelta(days=2)],
            id="daily count",
        ),
        pytest.param(
            "RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20260109T090000Z",
            None,
            [T0, T0 + timedelta(days=2), T0 + timedelta(days=4)],
            id="interval until",
        ),
        pytest.param(
            "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4",
            None,
            [T0, T0 + timedelta(days=2), T0 + timedelta(days=7), T0 + timedelta(days=9)],
            id="weekly byday",
        ),
        pytest.param(
            "RRULE:FREQ=WEEKLY",
            T0 + timedelta(days=15),
            [T0, T0 + timedelta(weeks=1), T0 + timedelta(weeks=2)],
            id="open-ended stops at the horizon",
        ),
        pytest.param(
            "RRULE:FREQ=WEEKLY;UNTIL=20260112",
            None,
            [T0, T0 + timedelta(weeks=1)],
            id="until a date is inclusive",
        ),
    ],
)
def test_occurrences(rule: str, horizon: datetime | None, expected: list[datetime]) -> None:
    limit = horizon or T0 + timedelta(days=365)
    assert list(occurrences(parse_rule([rule]), T0, horizon=limit)) == expected


@pytest.mark.parametrize(
    "recurrence",
    [
        pytest.param(["RRULE:FREQ=MONTHLY"], id="monthly"),
        pytest.param(["RRULE:FREQ=DAILY;BYDAY=MO"], id="byday on daily"),
        pytest.param(["RRULE:FREQ=WEEKLY", "EXDATE:20260112T090000Z"], id="exdate"),
        pytest.param(["RRULE:FREQ=WEEKLY;BYSETPOS=1"], id="unknown part"),
        pytest.param([], id="nothing"),
    ],
)
def test_unsupported_rules_are_refused(recurrence: list[str]) -> None:
    with pytest.raises((ValueError, KeyError)):
        parse_rule(recurrence)


def test_instance_id_suffix() -> None:
    assert basic_format(datetime(2026, 1, 5, 10, tzinfo=UTC)) == "20260105T100000Z"
    assert basic_format(date(2026, 1, 5)) == "20260105"


def params(**overrides: Any) -> ListParams:
    base: dict[str, Any] = {
        "sync_token": None, "page_token": None, "max_results": 2500, "show_deleted": None,
        "single_events": True, "time_min": None, "time_max": None, "order_by": None,
    }  # fmt: skip
    base.update(overrides)
    return ListParams(**base)


def walk(
    calendar: Calendar, query: ListParams, raw: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    page = query
    while True:
        response = calendar.list_events(page, raw=raw or {})
        items.extend(response["items"])
        if "nextPageToken" not in response:
            return items, response["nextSyncToken"]
        page = ListParams(**{**page.__dict__, "page_token": response["nextPageToken"]})


@pytest.fixture
def world() -> GoogleWorld:
    world = GoogleWorld("acme.example", anchor=T0, enforce_quotas=False)
    world.add_user("ana@acme.example", "Ana")
    return world


def series(world: GoogleWorld) -> tuple[str, str, str]:
    sid = world.create_event(
        organizer="ana@acme.example", summary="1:1", start=T0, end=T0 + timedelta(minutes=30),
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
    )  # fmt: skip
    cancelled = world.cancel_occurrence(sid, T0 + timedelta(weeks=1))
    moved = world.modify_occurrence(sid, T0 + timedelta(weeks=2), summary="1:1 (moved)")
    return sid, cancelled, moved


def test_single_events_expand_series(world: GoogleWorld) -> None:
    sid, cancelled, moved = series(world)
    items, _ = walk(world.calendars["ana@acme.example"], params())
    assert [i["id"] for i in items] == sorted([f"{sid}_20260105T090000Z", moved, f"{sid}_20260126T090000Z"])
    assert all(i["recurringEventId"] == sid and "recurrence" not in i for i in items)
    assert {i["iCalUID"] for i in items} == {f"{sid}@google.com"}
    with_deleted, _ = walk(world.calendars["ana@acme.example"], params(show_deleted=True))
    assert {i["id"] for i in with_deleted if i.get("status") == "cancelled"} == {cancelled}


def test_series_without_single_events_lists_master_and_cancelled_exceptions(world: GoogleWorld) -> None:
    sid, cancelled, moved = series(world)
    items, _ = walk(world.calendars["ana@acme.example"], params(single_events=False))
    by_id = {i["id"]: i for i in items}
    assert set(by_id) == {sid, cancelled, moved}
    assert by_id[sid]["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=4"]
    assert set(by_id[cancelled]) == {"kind", "etag", "id", "status", "recurringEventId", "originalStartTime"}


def test_deleted_events_only_with_show_deleted_or_incrementally(world: GoogleWorld) -> None:
    calendar = world.calendars["ana@acme.example"]
    eid = world.create_event(organizer="ana@acme.example", summary="x", start=T0, end=T0 + timedelta(hours=1))
    _, token = walk(calendar, params())
    world.delete_event(eid)
    assert walk(calendar, params())[0] == []
    assert walk(calendar, params(show_deleted=True))[0][0]["id"] == eid
    changes, _ = walk(calendar, params(sync_token=token))
    assert changes == [
        {"kind": "calendar#event", "etag": changes[0]["etag"], "id": eid, "status": "cancelled"}
    ]


def test_time_window(world: GoogleWorld) -> None:
    calendar = world.calendars["ana@acme.example"]
    sid, _, _ = series(world)
    window = params(time_min=T0 + timedelta(days=13), time_max=T0 + timedelta(days=20))
    assert [i["id"] for i in walk(calendar, window)[0]] == [f"{sid}_20260119T090000Z"]
    with pytest.raises(ApiError) as empty:
        calendar.list_events(params(time_min=T0, time_max=T0), raw={})
    assert (empty.value.status, empty.value.reason) == (400, "timeRangeEmpty")


@pytest.mark.parametrize(
    ("raw", "extra", "status"),
    [
        pytest.param({"timeMin": "x"}, {}, 400, id="timeMin"),
        pytest.param({"timeMax": "x"}, {}, 400, id="timeMax"),
        pytest.param({"updatedMin": "x"}, {}, 400, id="updatedMin"),
        pytest.param({"q": "x"}, {}, 400, id="q"),
        pytest.param({}, {"show_deleted": False}, 400, id="showDeleted=false"),
    ],
)
def test_parameters_refused_with_a_sync_token(
    world: GoogleWorld, raw: dict[str, str], extra: dict[str, Any], status: int
) -> None:
    calendar = world.calendars["ana@acme.example"]
    _, token = walk(calendar, params())
    with pytest.raises(ApiError) as refused:
        calendar.list_events(params(sync_token=token, **extra), raw=raw)
    assert refused.value.status == status


def test_sync_tokens_expire_and_belong_to_one_calendar(world: GoogleWorld) -> None:
    world.add_user("ben@acme.example", "Ben")
    ana, ben = world.calendars["ana@acme.example"], world.calendars["ben@acme.example"]
    _, token = walk(ana, params())
    with pytest.raises(ApiError) as foreign:
        ben.list_events(params(sync_token=token), raw={})
    assert foreign.value.status == 410
    world.expire_sync_tokens("ana@acme.example")
    with pytest.raises(ApiError) as expired:
        ana.list_events(params(sync_token=token), raw={})
    assert (expired.value.status, expired.value.reason) == (410, "fullSyncRequired")
    _, fresh = walk(ana, params())
    assert walk(ana, params(sync_token=fresh))[0] == []
    with pytest.raises(ApiError) as garbage:
        ana.list_events(params(sync_token="not-a-token"), raw={})
    assert garbage.value.status == 400


def test_changes_during_a_walk_are_not_lost(world: GoogleWorld) -> None:
    calendar = world.calendars["ana@acme.example"]
    ids = [
        world.create_event(
            organizer="ana@acme.example", summary=str(n), start=T0, end=T0 + timedelta(hours=1)
        )
        for n in range(6)
    ]
    first = calendar.list_events(params(max_results=2), raw={})  # the empty first page
    second = calendar.list_events(params(max_results=2, page_token=first["nextPageToken"]), raw={})
    world.delete_event(min(ids))  # already listed
    late = world.create_event(
        organizer="ana@acme.example",
        summary="late",
        start=T0,
        end=T0 + timedelta(hours=1),
        event_id="00000late",
    )
    rest, token = walk(calendar, params(max_results=2, page_token=second["nextPageToken"]))
    seen = {i["id"] for i in second["items"] + rest}
    changes = {i["id"] for i in walk(calendar, params(sync_token=token))[0]}
    assert set(ids) <= seen | changes
    assert {min(ids), late} <= changes, "what changed after the walk began comes with the next sync"
