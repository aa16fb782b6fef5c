"""CRM ingest: a plugin's batch of CRM events, validated one by one, the valid ones published.

Flow: the scope checks the caller may ingest; with an Idempotency-Key the (tenant, surface, key) is
claimed first, so a retried batch gets the first answer again and nothing is published twice; then
each event is validated (`domain.crm_events`), the valid ones are given their content-derived id and
published, awaiting the broker's acknowledgement (`adapters/crm_publisher.py`); the answer lists
each item's id or errors. The edges only parse: REST items with `http/schemas/crm.py`, gRPC items
are already `CrmEvent`s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain import crm_events
from services.gateway.domain.access import Operation
from services.gateway.domain.idempotency import Claim, StoredAnswer, is_idempotency_key
from services.gateway.errors import Conflict, IdempotencyKeyReused, InvalidRequest
from services.gateway.operations.scope import TenantScope, scoped

# One entry per submitted item: an event to validate, or the reasons it could not even be parsed.
Candidate = crm_pb2.CrmEvent | list[str]


@dataclass(frozen=True)
class IdempotencyKey:
    """What makes a retry "the same request": the client's key and a fingerprint of the batch as its
    edge received it. Keys are kept per surface, since each edge fingerprints its own encoding."""

    key: str
    fingerprint: bytes
    surface: Literal["rest", "grpc"]


@dataclass(frozen=True)
class ItemResult:
    index: int
    event_id: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Ingested:
    """The answer (202 when anything was accepted, 422 when every item was rejected) and whether it
    is the stored answer of an earlier request with the same Idempotency-Key."""

    answer: StoredAnswer
    replayed: bool


@scoped(Operation.INGEST_CRM_EVENTS)
async def ingest(
    scope: TenantScope, candidates: Iterable[Candidate], *, idempotency: IdempotencyKey | None
) -> Ingested:
    """Publish every valid event of the batch (awaiting the broker's acks); invalid ones are
    reported, not sent. `candidates` is read once, and only when the batch is processed (not for a
    replay). A failure (broker down, invalid batch) releases the Idempotency-Key, so the client can
    retry with it.
    """
    if idempotency is None:
        return Ingested(await _publish(scope, candidates), replayed=False)
    if not is_idempotency_key(idempotency.key):
        raise InvalidRequest("Idempotency-Key must be 1-255 printable ASCII characters without spaces")
    operation = f"{idempotency.surface}:{Operation.INGEST_CRM_EVENTS.value}"
    claim = await scope.store.claim_idempotency_key(
        operation=operation,
        key=idempotency.key,
        fingerprint=idempotency.fingerprint,
        ttl_hours=scope.limits.idempotency_ttl_hours,
        lease_sec=scope.limits.idempotency_lease_sec,
    )
    if claim.claim is Claim.REPLAY and claim.answer is not None:
        return Ingested(claim.answer, replayed=True)
    if claim.claim is Claim.MISMATCH:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request; use a new key for a new batch"
        )
    if claim.claim is Claim.IN_FLIGHT:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly")
    try:
        answer = await _publish(scope, candidates)
    except BaseException:
        await scope.store.release_idempotency_key(operation=operation, key=idempotency.key)
        raise
    await scope.store.complete_idempotency_key(operation=operation, key=idempotency.key, answer=answer)
    return Ingested(answer, replayed=False)


async def _publish(scope: TenantScope, candidates: Iterable[Candidate]) -> StoredAnswer:
    batch = list(candidates)
    if not batch:
        raise InvalidRequest("events must hold at least one event")
    if len(batch) > scope.limits.max_batch_events:
        raise InvalidRequest(
            f"a batch holds at most {scope.limits.max_batch_events} events, got {len(batch)}"
        )
    now = scope.now()
    results: list[ItemResult] = []
    ready: list[crm_pb2.CrmEvent] = []
    for index, candidate in enumerate(batch):
        if isinstance(candidate, list):
            results.append(ItemResult(index, errors=candidate))
            continue
        problems = crm_events.event_problems(candidate, tenant_id=scope.tenant_id, now=now)
        if problems:
            results.append(ItemResult(index, errors=problems))
            continue
        event = crm_events.normalized(candidate, tenant_id=scope.tenant_id, observed_at=now)
        ready.append(event)
        results.append(ItemResult(index, event_id=event.event_id))
    await scope.publish(ready)
    return _answer(results)


def _answer(items: list[ItemResult]) -> StoredAnswer:
    accepted = sum(1 for i in items if i.event_id is not None)
    body: dict[str, Any] = {
        "accepted": accepted,
        "rejected": len(items) - accepted,
        "items": [{"index": i.index, "event_id": i.event_id, "errors": i.errors} for i in items],
    }
    return StoredAnswer(status_code=202 if accepted else 422, body=body)
