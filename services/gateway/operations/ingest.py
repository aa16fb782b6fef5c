"""CRM ingest: validate each event, publish the good ones, answer per item; Idempotency-Key support."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from groundtruth.crm.v1 import crm_pb2
from services.gateway.adapters.state_store import (
    Claim,
    IdempotencyScope,
    claim_idempotency_key,
    complete_idempotency_key,
    release_idempotency_key,
)
from services.gateway.domain import crm_events
from services.gateway.domain.access import Operation, require
from services.gateway.domain.idempotency import StoredAnswer, is_idempotency_key
from services.gateway.domain.principal import Principal
from services.gateway.errors import Conflict, IdempotencyKeyReused, InvalidRequest
from services.gateway.operations.context import Gateway

# One entry per submitted item: an event to validate, or the reasons it could not even be parsed.
Candidate = crm_pb2.CrmEvent | list[str]


@dataclass(frozen=True)
class ItemResult:
    index: int
    event_id: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IngestResult:
    items: list[ItemResult]

    @property
    def accepted(self) -> int:
        return sum(1 for i in self.items if i.event_id is not None)

    @property
    def rejected(self) -> int:
        return len(self.items) - self.accepted

    def answer(self) -> StoredAnswer:
        """202 when anything was accepted; 422 when every item was rejected."""
        body: dict[str, Any] = {
            "accepted": self.accepted,
            "rejected": self.rejected,
            "items": [{"index": i.index, "event_id": i.event_id, "errors": i.errors} for i in self.items],
        }
        return StoredAnswer(status_code=202 if self.accepted else 422, body=body)


async def ingest(gw: Gateway, p: Principal, candidates: Sequence[Candidate]) -> IngestResult:
    """Publish every valid event (awaiting the broker's acks); invalid ones are reported, not sent."""
    require(p, Operation.INGEST_CRM_EVENTS)
    if not candidates:
        raise InvalidRequest("events must hold at least one event")
    if len(candidates) > gw.limits.max_batch_events:
        raise InvalidRequest(
            f"a batch holds at most {gw.limits.max_batch_events} events, got {len(candidates)}"
        )
    now = gw.clock()
    results: list[ItemResult] = []
    ready: list[crm_pb2.CrmEvent] = []
    for index, candidate in enumerate(candidates):
        if isinstance(candidate, list):
            results.append(ItemResult(index, errors=candidate))
            continue
        problems = crm_events.event_problems(candidate, tenant_id=p.tenant_id, now=now)
        if problems:
            results.append(ItemResult(index, errors=problems))
            continue
        event = crm_events.normalized(candidate, tenant_id=p.tenant_id, observed_at=now)
        ready.append(event)
        results.append(ItemResult(index, event_id=event.event_id))
    await gw.publisher.publish(ready)
    return IngestResult(results)


async def idempotently(
    gw: Gateway,
    p: Principal,
    *,
    operation: str,
    key: str | None,
    fingerprint: bytes,
    run: Callable[[], Awaitable[StoredAnswer]],
) -> tuple[StoredAnswer, bool]:
    """Run once per (tenant, operation, key); returns the answer and whether it is a replay.

    A failure (broker down, invalid batch) releases the key, so the client can retry with it.
    """
    if key is None:
        return await run(), False
    if not is_idempotency_key(key):
        raise InvalidRequest("Idempotency-Key must be 1-255 printable ASCII characters without spaces")
    scope = IdempotencyScope(tenant_id=p.tenant_id, operation=operation, key=key)
    claim = await claim_idempotency_key(
        gw.pool, scope, fingerprint=fingerprint, ttl_hours=gw.limits.idempotency_ttl_hours
    )
    if claim.claim is Claim.REPLAY and claim.answer is not None:
        return claim.answer, True
    if claim.claim is Claim.MISMATCH:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request; use a new key for a new batch"
        )
    if claim.claim is Claim.IN_FLIGHT:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly")
    try:
        answer = await run()
    except BaseException:
        await release_idempotency_key(gw.pool, scope)
        raise
    await complete_idempotency_key(gw.pool, scope, answer)
    return answer, False
