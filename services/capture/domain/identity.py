"""Deterministic identities, so that a replayed or re-synced item never becomes a second activity."""

from __future__ import annotations

import hashlib

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2

# Looked up once: `Provider.Name` is a Python-level search of the enum's descriptor, per item.
_PROVIDER_NAMES = {value: activity_pb2.Provider.Name(value) for value in activity_pb2.Provider.values()}


def _digest(*parts: str) -> str:
    # NUL cannot occur in any of the parts, so the joined string is unambiguous.
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def activity_id(
    *, tenant_id: str, provider: activity_pb2.Provider.ValueType, mailbox: str, item_id: str
) -> str:
    """The activity's id: the same provider item in the same mailbox always gets the same id."""
    name = _PROVIDER_NAMES.get(provider) or activity_pb2.Provider.Name(provider)  # raises as before
    return _digest(tenant_id, name, mailbox.lower(), item_id)


def event_id(activity: activity_pb2.Activity) -> str:
    """The id of one observed version of an activity: replays of that version share it."""
    modified: Timestamp = activity.source_modified_at
    return _digest(
        activity.id,
        f"{modified.seconds}.{modified.nanos:09d}",
        "deleted" if activity.is_deletion else "cancelled" if activity.is_cancelled else "live",
    )
