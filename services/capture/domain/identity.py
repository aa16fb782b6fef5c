"""Deterministic identities, so that a replayed or re-synced item never becomes a second activity."""

from __future__ import annotations

import functools
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
    digest = _mailbox_digest(tenant_id, provider, mailbox).copy()
    digest.update(item_id.encode())
    return digest.hexdigest()[:32]


@functools.lru_cache(maxsize=4096)
def _mailbox_digest(tenant_id: str, provider: activity_pb2.Provider.ValueType, mailbox: str) -> hashlib._Hash:
    """The digest of a mailbox's part of its activities' ids (`_digest`'s parts before the item id),
    fed once per mailbox and copied per item. Raises for an unknown provider, as before."""
    name = _PROVIDER_NAMES.get(provider) or activity_pb2.Provider.Name(provider)
    return hashlib.sha256("\x00".join((tenant_id, name, mailbox.lower(), "")).encode())


def event_id(activity: activity_pb2.Activity) -> str:
    """The id of one observed version of an activity: replays of that version share it."""
    modified: Timestamp = activity.source_modified_at
    return version_id(
        activity.id,
        modified.seconds,
        modified.nanos,
        deleted=activity.is_deletion,
        cancelled=activity.is_cancelled,
    )


def version_id(activity_id: str, seconds: int, nanos: int, *, deleted: bool, cancelled: bool) -> str:
    """`event_id` from its parts, for the caller that has them at hand (building the activity):
    reading them back from the message costs twice the hash."""
    return _digest(
        activity_id, f"{seconds}.{nanos:09d}", "deleted" if deleted else "cancelled" if cancelled else "live"
    )
