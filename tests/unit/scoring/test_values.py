"""Value classes and conversions the ingest path made cheaper must mean exactly what they did."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from services.scoring.adapters.proto_mapping import timestamp
from services.scoring.domain.instants import datetime_to_us, us_to_datetime
from services.scoring.domain.matching import Match, MatchLink
from services.scoring.domain.records import ObjectType


def _match(reason: str) -> Match:
    return Match(("c1",), "a1", "", (MatchLink(ObjectType.CONTACT, "c1", 1.0, reason),))


def test_value_classes_compare_and_hash_by_their_fields_like_frozen_dataclasses() -> None:
    assert _match("same") == _match("same")
    assert hash(_match("same")) == hash(_match("same"))
    assert _match("same") != _match("other")
    assert len({_match("same"), _match("same"), _match("other")}) == 2
    assert dataclasses.replace(_match("same"), account_id="a2").account_id == "a2"


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), None])))
def test_timestamp_is_what_protobufs_from_datetime_makes(moment: datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(moment)
    assert timestamp(moment) == expected


@given(st.integers(min_value=datetime_to_us(datetime(1, 1, 2, tzinfo=UTC)), max_value=2**62 // 1000))
def test_microseconds_and_datetimes_round_trip(us: int) -> None:
    assert datetime_to_us(us_to_datetime(us)) == us
