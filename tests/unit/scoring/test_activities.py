from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundtruth.activity.v1 import activity_pb2
from services.scoring.domain.activities import (
    CapturedActivity,
    activity_problems,
    captured_from_proto,
    latest_versions,
)
from tests.factories import BASE_TIME, make_activity


def _without(field: str) -> activity_pb2.Activity:
    activity = make_activity()
    activity.ClearField(field)  # type: ignore[arg-type]
    return activity


@pytest.mark.parametrize(
    ("activity", "problem"),
    [
        pytest.param(_without("id"), "id is empty", id="no id"),
        pytest.param(_without("tenant_id"), "tenant_id is empty", id="no tenant"),
        pytest.param(_without("rep_id"), "rep_id is empty", id="no rep"),
        pytest.param(_without("kind"), "kind is unspecified", id="no kind"),
        pytest.param(_without("provider"), "provider is unspecified", id="no provider"),
        pytest.param(_without("occurred_at"), "occurred_at is missing", id="no time"),
    ],
)
def test_activity_problems_name_what_is_missing(activity: activity_pb2.Activity, problem: str) -> None:
    assert activity_problems(activity) == [problem]


def test_a_complete_activity_has_no_problems() -> None:
    assert activity_problems(make_activity()) == []


def _captured(activity: activity_pb2.Activity) -> CapturedActivity:
    return captured_from_proto(activity, activity.SerializeToString())


def test_a_meeting_the_rep_declined_is_not_counted_as_a_meeting() -> None:
    meeting = make_activity(kind=activity_pb2.ACTIVITY_KIND_MEETING)
    assert _captured(meeting).counts_as_meeting
    meeting.participants[0].response_status = activity_pb2.RESPONSE_STATUS_DECLINED
    assert not _captured(meeting).counts_as_meeting
    meeting.participants[0].response_status = activity_pb2.RESPONSE_STATUS_ACCEPTED
    meeting.is_all_day = True
    assert not _captured(meeting).counts_as_meeting


def test_external_addresses_are_lower_cased_deduplicated_and_exclude_the_mailbox() -> None:
    activity = make_activity(customer="Buyer@Customer.Example")
    activity.participants.append(
        activity_pb2.Participant(address="buyer@customer.example", is_internal=False)
    )
    activity.participants.append(activity_pb2.Participant(address="colleague@acme.example", is_internal=True))
    assert _captured(activity).external_addresses == ("buyer@customer.example",)


def _versions() -> list[CapturedActivity]:
    """Three activities, the first with three versions (the last one a cancellation)."""
    first = make_activity(item_id="first", kind=activity_pb2.ACTIVITY_KIND_MEETING)
    rows = [_captured(first)]
    for hours, cancelled in ((1, False), (2, True)):
        later = activity_pb2.Activity()
        later.CopyFrom(first)
        later.source_modified_at.FromDatetime(BASE_TIME + timedelta(days=30, hours=hours))
        later.is_cancelled = cancelled
        later.event_id = f"{first.id}-{hours}"
        rows.append(_captured(later))
    rows += [_captured(make_activity(item_id=f"other-{i}")) for i in range(2)]
    return rows


VERSIONS = _versions()
IN_ORDER = {row.id: row for row in latest_versions(VERSIONS)}


# Every version at least once, some several times, in any order.
DELIVERIES = (
    st.lists(st.sampled_from(VERSIONS), max_size=10)
    .map(lambda extra: VERSIONS + extra)
    .flatmap(st.permutations)
)


@given(DELIVERIES)
def test_latest_versions_is_independent_of_order_and_duplicates(delivery: list[CapturedActivity]) -> None:
    result = {row.id: row for row in latest_versions(delivery)}
    assert result == IN_ORDER
    assert result[VERSIONS[0].id].is_cancelled
