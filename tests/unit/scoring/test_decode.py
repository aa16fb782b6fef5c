from __future__ import annotations

import pytest

from groundtruth.crm.v1 import crm_pb2
from plumbing.kafka.dead_letters import InvalidMessage
from plumbing.kafka.records import protobuf_headers
from services.sandbox.synthetic import events as ev
from services.scoring.adapters.event_consumer import decode_record
from services.scoring.domain.activities import CapturedActivity
from services.scoring.domain.crm_events import CrmChange, Login
from tests.factories import make_activity
from tests.records import record
from tests.unit.scoring.world import at

ACTIVITIES = "ns.gt.activity.captured.v1"
CRM = "ns.gt.crm.events.v1"


def test_decodes_a_valid_activity_with_or_without_content_type() -> None:
    activity = make_activity()
    value = activity.SerializeToString()
    for headers in (protobuf_headers(activity), ()):
        decoded = decode_record(record(value, topic=ACTIVITIES, headers=headers))
        assert isinstance(decoded, CapturedActivity)
        assert (decoded.id, decoded.tenant_id, decoded.rep_id) == (activity.id, "acme", "rep-1")
        assert decoded.external_addresses == ("buyer@customer.example",)
        assert decoded.payload == value


def test_decodes_a_crm_event_by_its_topic() -> None:
    event = ev.login(tenant_id="acme", rep_id="rep-1", at=at(1))
    decoded = decode_record(record(event.SerializeToString(), topic=CRM, headers=protobuf_headers(event)))
    assert isinstance(decoded, CrmChange)
    assert isinstance(decoded.body, Login)
    assert decoded.event_id == event.event_id


@pytest.mark.parametrize(
    ("topic", "value", "headers", "reason"),
    [
        pytest.param(ACTIVITIES, b"\xff\x00junk", (), "not a protobuf Activity", id="garbage"),
        pytest.param(ACTIVITIES, None, (), "no value", id="tombstone"),
        pytest.param(ACTIVITIES, b"", (), "no value", id="empty"),
        pytest.param(
            ACTIVITIES,
            make_activity().SerializeToString(),
            (("content-type", b"application/json"),),
            "content-type",
            id="wrong content type",
        ),
        pytest.param(ACTIVITIES, b"\x08\x01", (), "invalid Activity", id="parses but empty"),
        pytest.param(CRM, b"\xff\x00junk", (), "not a protobuf CrmEvent", id="crm garbage"),
        pytest.param(
            CRM,
            crm_pb2.CrmEvent(event_id="e", tenant_id="t").SerializeToString(),
            (),
            "payload is missing",
            id="crm without payload",
        ),
        pytest.param("other.topic", b"x", (), "does not consume", id="unknown topic"),
    ],
)
def test_undecodable_or_invalid_records_raise_invalid_message(
    topic: str, value: bytes | None, headers: tuple[tuple[str, bytes], ...], reason: str
) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        decode_record(record(value, topic=topic, headers=headers))
