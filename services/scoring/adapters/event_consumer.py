"""Decodes gt.activity.captured.v1 and gt.crm.events.v1 records and applies them in batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from google.protobuf.message import DecodeError

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from plumbing.kafka.dead_letters import InvalidMessage
from plumbing.kafka.records import CONTENT_TYPE_HEADER, Record, header
from plumbing.kafka.topics import ACTIVITY_CAPTURED, CRM_EVENTS
from services.scoring.domain.activities import InvalidActivity, decode_activity
from services.scoring.domain.crm_events import InvalidCrmEvent, decode_crm_event
from services.scoring.operations.ingest import Decoded, IngestService

_ACTIVITY_TYPE = activity_pb2.Activity.DESCRIPTOR.full_name.encode()
_CRM_TYPE = crm_pb2.CrmEvent.DESCRIPTOR.full_name.encode()


@lru_cache(maxsize=64)
def _expected_type(topic: str) -> bytes | None:
    """The message type a topic carries (a handful of topics, each asked once per record)."""
    if topic.endswith(ACTIVITY_CAPTURED.base_name):
        return _ACTIVITY_TYPE
    if topic.endswith(CRM_EVENTS.base_name):
        return _CRM_TYPE
    return None


def decode_record(record: Record) -> Decoded:
    """Parse and validate one record of either topic; raises `InvalidMessage` for what can never apply."""
    expected = _expected_type(record.topic)
    if expected is None:
        raise InvalidMessage(f"scoring does not consume topic {record.topic!r}")
    declared = header(record.headers, CONTENT_TYPE_HEADER)
    if declared is not None and expected not in declared:
        raise InvalidMessage(f"content-type {declared!r} is not {expected.decode()}")
    if not record.value:
        raise InvalidMessage("record has no value")
    try:
        if expected is _ACTIVITY_TYPE:
            return decode_activity(record.value)
        try:
            event = crm_pb2.CrmEvent.FromString(record.value)
        except DecodeError as exc:
            raise InvalidMessage(f"not a protobuf CrmEvent: {exc}") from exc
        return decode_crm_event(event)
    except (InvalidActivity, InvalidCrmEvent) as exc:
        raise InvalidMessage(str(exc)) from exc


class ScoringEventProcessor:
    """`BatchProcessor` for both input topics: one transaction per batch through `IngestService`."""

    def __init__(self, ingest: IngestService, *, after_commit: Callable[[], None] | None = None) -> None:
        self._ingest = ingest
        self._after_commit = after_commit

    def decode(self, record: Record) -> Decoded:
        return decode_record(record)

    async def process(self, batch: Sequence[Decoded]) -> None:
        await self._ingest.apply(batch)
        if self._after_commit is not None:
            self._after_commit()
