"""The relay writes each MatchedActivity's bytes straight from its row: the same bytes the message-building
path (`pg_feed.matched_activity`, the RPC's) serializes, with the stored Activity appended as field 5."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
from google.protobuf import wrappers_pb2
from hypothesis import given
from hypothesis import strategies as st

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.adapters.matched_wire import (
    MatchFields,
    match_fields,
    matched_activity_value,
    observed_field,
    tenant_field,
    varint,
)
from services.scoring.adapters.pg_feed import matched_activity
from services.scoring.domain.matching import MatchLink, encode_links
from services.scoring.domain.records import ObjectType

# Anything but the separators encode_links uses (never in ids or reasons).
_TEXT = st.text(st.characters(exclude_characters="\x1e\x1f", exclude_categories=["Cs"]), max_size=12)
_LINKS = st.lists(
    st.builds(
        MatchLink,
        st.sampled_from(list(ObjectType)),
        _TEXT,
        st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 0.7, 1.0]),
        _TEXT,
    ),
    max_size=5,
).map(tuple)
_INSTANTS = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


def _row(**columns: Any) -> asyncpg.Record:
    return cast(asyncpg.Record, columns)  # the message-building path only reads columns by name


def _protobuf_varint(value: int) -> bytes:
    """protobuf's own varint of `value` (a uint64; an int64 when negative), without the field's tag:
    the oracle the relay's hand-written encoder must agree with."""
    wrapper = wrappers_pb2.Int64Value(value=value) if value < 0 else wrappers_pb2.UInt64Value(value=value)
    return wrapper.SerializeToString()[1:] if value else b"\x00"


def _wire(row: dict[str, Any]) -> bytes:
    return matched_activity_value(
        event_id=f"{row['id']}:{row['feed_sequence']}",
        tenant=tenant_field(row["tenant_id"]),
        occurred_at=row["occurred_at"],
        observed=observed_field(row["stored_at"]),
        match=match_fields(row["match_links"]),
        feed_sequence=row["feed_sequence"],
        activity=row["payload"],
    )


@given(
    activity_id=_TEXT,
    tenant_id=_TEXT,
    occurred_at=_INSTANTS,
    stored_at=_INSTANTS,
    links=_LINKS,
    feed_sequence=st.integers(min_value=0, max_value=2**63 - 1),
    payload=st.binary(max_size=300),
)
def test_the_written_bytes_are_the_serialized_message_with_the_activity_appended(
    activity_id: str,
    tenant_id: str,
    occurred_at: datetime,
    stored_at: datetime,
    links: tuple[MatchLink, ...],
    feed_sequence: int,
    payload: bytes,
) -> None:
    row = {
        "id": activity_id,
        "tenant_id": tenant_id,
        "occurred_at": occurred_at,
        "stored_at": stored_at,
        "match_links": encode_links(links),
        "feed_sequence": feed_sequence,
    }
    envelope = matched_activity(_row(**row, payload=b""))
    envelope.ClearField("activity")
    expected = envelope.SerializeToString() + b"\x2a" + _protobuf_varint(len(payload)) + payload
    assert _wire({**row, "payload": payload}) == expected


def test_a_stored_activity_reads_back_as_the_message_the_rpc_serves() -> None:
    activity = activity_pb2.Activity(id="a-1", tenant_id="t", rep_id="r", subject="Renewal")
    links = (
        MatchLink(ObjectType.CONTACT, "c-2", 1.0, "contact B has exactly this address"),
        MatchLink(ObjectType.CONTACT, "c-1", 0.7, "2 contacts share the address"),
        MatchLink(ObjectType.ACCOUNT, "acc", 1.0, "the contacts' account"),
        MatchLink(ObjectType.OPPORTUNITY, "opp", 0.8, "the only open opportunity"),
    )
    row = {
        "id": "a-1",
        "tenant_id": "t",
        "occurred_at": datetime(2026, 3, 2, 9, 30, 0, 250_000, tzinfo=UTC),
        "stored_at": datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
        "match_links": encode_links(links),
        "feed_sequence": 41,
        "payload": activity.SerializeToString(),
    }
    published = scoring_pb2.MatchedActivity.FromString(_wire(row))
    assert published == matched_activity(_row(**row))
    assert (list(published.contact_crm_ids), published.confidence) == (["c-1", "c-2"], 0.7)


@given(
    st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=30),
    st.lists(_LINKS, min_size=5, max_size=5),
)
def test_remembered_match_fields_are_the_fields_written_afresh(
    picks: list[str], pool: list[tuple[MatchLink, ...]]
) -> None:
    # Texts and single links recur (drawn from a few), past the memory's capacity: it starts afresh.
    texts = {name: encode_links(links) for name, links in zip("abcde", pool, strict=True)}
    remembered = MatchFields(capacity=3)
    for name in picks:
        assert remembered(texts[name]) == match_fields(texts[name])


_EDGES = [0, 127, 128, 2**14 - 1, 2**14, 2**21 - 1, 2**21, 2**28 - 1, 2**28, 2**35 - 1, 2**35]


@given(st.integers(min_value=0, max_value=2**64 - 1) | st.sampled_from(_EDGES))
def test_varints_are_protobufs(value: int) -> None:
    assert varint(value) == _protobuf_varint(value)


def test_negative_varints_are_64_bit_twos_complement_as_protobufs_int64() -> None:
    assert varint(-1) == b"\xff" * 9 + b"\x01"
    assert varint(-(2**63)) == _protobuf_varint(-(2**63)) == _protobuf_varint(2**63)
