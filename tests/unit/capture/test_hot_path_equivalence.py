"""Shortcuts on capture's hot path give exactly what the plain code they replace gave.

`without_subject` copies an item's fields instead of running `dataclasses.replace` (it runs for every
item of a backfill at the metadata level).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from services.capture.domain.items import (
    Attendee,
    CapturedItem,
    Direction,
    EmailItem,
    MeetingItem,
    Person,
    Response,
    Sensitivity,
    without_subject,
)

# Every item the domain can hold.
_text = st.text(max_size=12)
_instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
_people = st.builds(Person, address=st.sampled_from(["a@acme.example", "b@customer.example", ""]) | _text,
                    name=_text)  # fmt: skip
_emails = st.builds(
    EmailItem,
    item_id=_text,
    direction=st.sampled_from(Direction),
    occurred_at=_instants,
    modified_at=_instants,
    sender=st.none() | _people,
    to=st.tuples(*[_people] * 2) | st.just(()),
    cc=st.lists(_people, max_size=3).map(tuple),
    subject=st.none() | _text,
    internet_message_id=_text,
    conversation_id=_text,
)
_meetings = st.builds(
    MeetingItem,
    item_id=_text,
    start=_instants,
    end=_instants,
    modified_at=_instants,
    organizer=st.none() | _people,
    attendees=st.lists(
        st.builds(Attendee, person=_people, response=st.sampled_from(Response), is_resource=st.booleans()),
        max_size=3,
    ).map(tuple),
    subject=st.none() | _text,
    ical_uid=_text,
    series_id=_text,
    is_all_day=st.booleans(),
    is_cancelled=st.booleans(),
    sensitivity=st.sampled_from(Sensitivity),
    is_away=st.booleans(),
)


@given(item=_emails | _meetings)
def test_without_subject_is_replace_with_no_subject(item: CapturedItem) -> None:
    before = dataclasses.replace(item)
    stripped = without_subject(item)
    assert type(stripped) is type(item)
    assert stripped == dataclasses.replace(item, subject=None)
    assert item == before and item.subject == before.subject, "the original is left as it was"
