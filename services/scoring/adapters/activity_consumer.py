"""Consumes gt.activity.captured.v1 into `scoring.activities`."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.message import DecodeError

from groundtruth.activity.v1 import activity_pb2
from plumbing.db.pool import Pool
from plumbing.kafka.consumer import Record
from plumbing.kafka.dead_letters import InvalidMessage
from plumbing.kafka.records import CONTENT_TYPE_HEADER, header
from services.scoring.adapters.activity_store import upsert_activities
from services.scoring.domain.activities import StoredActivity, activity_problems, latest_versions

_ACTIVITY_TYPE = activity_pb2.Activity.DESCRIPTOR.full_name.encode()


def decode_activity(record: Record) -> activity_pb2.Activity:
    """Parse and validate one record; raises `InvalidMessage` for anything we can never store."""
    declared = header(record.headers, CONTENT_TYPE_HEADER)
    if declared is not None and _ACTIVITY_TYPE not in declared:
        raise InvalidMessage(f"content-type {declared!r} is not {_ACTIVITY_TYPE.decode()}")
    if not record.value:
        raise InvalidMessage("record has no value")
    try:
        activity = activity_pb2.Activity.FromString(record.value)
    except DecodeError as exc:
        raise InvalidMessage(f"not a protobuf Activity: {exc}") from exc
    problems = activity_problems(activity)
    if problems:
        raise InvalidMessage("invalid Activity: " + "; ".join(problems))
    return activity


class ActivityProcessor:
    """`BatchProcessor` writing the latest version of each activity in one transaction."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def decode(self, record: Record) -> StoredActivity:
        return StoredActivity.from_proto(decode_activity(record))

    async def process(self, batch: Sequence[StoredActivity]) -> None:
        rows = latest_versions(batch)
        async with self._pool.acquire() as conn, conn.transaction():
            await upsert_activities(conn, rows)
