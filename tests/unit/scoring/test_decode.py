from __future__ import annotations

import pytest

from plumbing.kafka.dead_letters import InvalidMessage
from plumbing.kafka.records import protobuf_headers
from services.scoring.adapters.activity_consumer import decode_activity
from tests.factories import make_activity
from tests.records import record


def test_decodes_a_valid_activity_with_or_without_content_type() -> None:
    activity = make_activity()
    assert (
        decode_activity(record(activity.SerializeToString(), headers=protobuf_headers(activity))) == activity
    )
    assert decode_activity(record(activity.SerializeToString())) == activity


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        pytest.param(b"\xff\x00junk", (), "not a protobuf Activity", id="garbage"),
        pytest.param(None, (), "no value", id="tombstone"),
        pytest.param(b"", (), "no value", id="empty"),
        pytest.param(
            make_activity().SerializeToString(),
            (("content-type", b"application/json"),),
            "content-type",
            id="wrong content type",
        ),
        pytest.param(b"\x08\x01", (), "invalid Activity", id="parses but empty"),
    ],
)
def test_undecodable_or_invalid_records_raise_invalid_message(
    value: bytes | None, headers: tuple[tuple[str, bytes], ...], reason: str
) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        decode_activity(record(value, headers=headers))
