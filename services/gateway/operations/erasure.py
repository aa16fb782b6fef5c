"""Erasing a rep everywhere: capture, scoring (with tombstones), the gateway's caches and the rep's keys."""

from __future__ import annotations

from dataclasses import dataclass

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.scoring.v1 import scoring_pb2 as s
from services.gateway.domain.access import Operation
from services.gateway.operations import checks
from services.gateway.operations.scope import TenantScope, scoped


@dataclass(frozen=True)
class Erasure:
    rep_id: str
    capture: c.EraseRepResponse
    scoring: s.EraseRepResponse
    revoked_key_ids: list[str]


@scoped(Operation.ERASE_REP)
async def erase_rep(scope: TenantScope, *, rep_id: str) -> Erasure:
    """Erase a rep everywhere: capture stops first (nothing new arrives), then scoring deletes and
    publishes tombstones, then the rep's own keys are revoked. Every step is idempotent, so after a
    partial failure (503) the admin simply repeats the call.
    """
    rep = checks.rep_id(rep_id)
    captured = await scope.capture.erase_rep(rep_id=rep)
    scored = await scope.scoring.erase_rep(rep_id=rep)
    scope.scores.evict(rep)
    revoked = await scope.store.revoke_rep_keys(rep_id=rep)
    for key_id in revoked:
        scope.credentials.forget(key_id)
    return Erasure(rep_id=rep, capture=captured, scoring=scored, revoked_key_ids=revoked)
