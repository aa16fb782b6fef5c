"""Captured activities as scoring stores them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_datetime(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


def activity_problems(activity: activity_pb2.Activity) -> list[str]:
    """What makes an activity unusable; empty when it is valid."""
    problems = []
    for name in ("id", "tenant_id", "rep_id"):
        if not getattr(activity, name):
            problems.append(f"{name} is empty")
    if activity.kind == activity_pb2.ACTIVITY_KIND_UNSPECIFIED:
        problems.append("kind is unspecified")
    if activity.provider == activity_pb2.PROVIDER_UNSPECIFIED:
        problems.append("provider is unspecified")
    if not activity.HasField("occurred_at"):
        problems.append("occurred_at is missing")
    return problems


@dataclass(frozen=True)
class StoredActivity:
    """One row of `scoring.activities`: the latest version of an activity."""

    id: str
    tenant_id: str
    rep_id: str
    kind: int
    provider: int
    occurred_at: datetime
    source_modified_at: datetime
    is_cancelled: bool
    is_deletion: bool
    payload: bytes

    @classmethod
    def from_proto(cls, activity: activity_pb2.Activity) -> StoredActivity:
        modified = activity.source_modified_at if activity.HasField("source_modified_at") else None
        return cls(
            id=activity.id,
            tenant_id=activity.tenant_id,
            rep_id=activity.rep_id,
            kind=activity.kind,
            provider=activity.provider,
            occurred_at=to_datetime(activity.occurred_at),
            source_modified_at=to_datetime(modified) if modified else _EPOCH,
            is_cancelled=activity.is_cancelled,
            is_deletion=activity.is_deletion,
            payload=activity.SerializeToString(deterministic=True),
        )


def latest_versions(rows: Iterable[StoredActivity]) -> list[StoredActivity]:
    """One row per activity id, the most recently modified one (the last seen wins a tie).

    The store applies the same rule against what it already holds, so any order of delivery ends in
    the same state as in-order delivery.
    """
    latest: dict[str, StoredActivity] = {}
    for row in rows:
        current = latest.get(row.id)
        if current is None or row.source_modified_at >= current.source_modified_at:
            latest[row.id] = row
    return list(latest.values())
