"""API keys in the gRPC contract: `groundtruth.gateway.v1.Role` numbers and `ApiKey` messages."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.gateway.v1 import gateway_pb2 as g
from services.gateway.domain.principal import Role
from services.gateway.domain.records import KeyRecord

ROLES = {
    g.ROLE_ADMIN: Role.ADMIN,
    g.ROLE_MANAGER: Role.MANAGER,
    g.ROLE_REP: Role.REP,
    g.ROLE_PLUGIN: Role.PLUGIN,
}
_ROLE_NUMBERS = {role: number for number, role in ROLES.items()}


def api_key(record: KeyRecord) -> g.ApiKey:
    """The key as listed: never its secret, nor the stored hash of it."""
    key = g.ApiKey(
        key_id=record.key_id,
        prefix=f"gt_{record.key_id}_",
        name=record.name,
        role=_ROLE_NUMBERS[record.role],
        rep_id=record.rep_id or "",
        created_by=record.created_by,
    )
    key.created_at.CopyFrom(_ts(record.created_at))
    if record.revoked_at is not None:
        key.revoked_at.CopyFrom(_ts(record.revoked_at))
    if record.last_used_at is not None:
        key.last_used_at.CopyFrom(_ts(record.last_used_at))
    return key


def _ts(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts
