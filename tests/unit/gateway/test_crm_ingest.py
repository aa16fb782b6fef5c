"""CRM ingest as one use case: access first, then the Idempotency-Key, then validation and publishing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain.principal import Principal, Role
from services.gateway.errors import (
    Conflict,
    IdempotencyKeyReused,
    InvalidRequest,
    PermissionDenied,
    UpstreamUnavailable,
)
from services.gateway.operations.crm_ingest import Candidate, IdempotencyKey, ingest
from tests.unit.gateway.fakes import NOW, FakeGateway

PLUGIN = Principal(tenant_id="acme", key_id="k-plugin", role=Role.PLUGIN)
ADMIN = Principal(tenant_id="acme", key_id="k-admin", role=Role.ADMIN)


def login(rep: str = "rep-1") -> crm_pb2.CrmEvent:
    event = crm_pb2.CrmEvent(rep_id=rep, source="test", user_login=crm_pb2.UserLogin())
    event.user_login.login_at.FromDatetime(NOW)
    return event


def counted(items: list[Candidate], reads: list[int]) -> Iterator[Candidate]:
    reads.append(1)
    yield from items


async def test_valid_events_are_published_with_their_ids_and_bad_ones_reported() -> None:
    fake = FakeGateway()
    ingested = await ingest(fake.gateway(), PLUGIN, [login(), ["type: unknown"]], idempotency=None)
    assert ingested.answer.status_code == 202 and not ingested.replayed
    items = ingested.answer.body["items"]
    assert items[0]["event_id"] == fake.publisher.published[0].event_id
    assert items[1] == {"index": 1, "event_id": None, "errors": ["type: unknown"]}
    assert [e.tenant_id for e in fake.publisher.published] == ["acme"]


async def test_only_rejected_items_answer_422_and_publish_nothing() -> None:
    fake = FakeGateway()
    ingested = await ingest(fake.gateway(), PLUGIN, [["bad"]], idempotency=None)
    assert ingested.answer.status_code == 422 and fake.publisher.published == []


async def test_a_caller_that_may_not_ingest_is_refused_before_the_key_is_claimed() -> None:
    fake = FakeGateway()
    reads: list[int] = []
    key = IdempotencyKey("k1", b"f", surface="rest")
    with pytest.raises(PermissionDenied):
        await ingest(fake.gateway(), ADMIN, counted([login()], reads), idempotency=key)
    assert fake.binder.calls == [] and reads == []


async def test_the_same_key_and_batch_replay_the_first_answer_without_reading_the_batch() -> None:
    fake = FakeGateway()
    key = IdempotencyKey("k1", b"same", surface="rest")
    first = await ingest(fake.gateway(), PLUGIN, [login()], idempotency=key)
    reads: list[int] = []
    again = await ingest(fake.gateway(), PLUGIN, counted([login()], reads), idempotency=key)
    assert again.replayed and again.answer == first.answer
    assert reads == [] and len(fake.publisher.published) == 1
    grpc_key = IdempotencyKey("k1", b"same", surface="grpc")  # keys are kept per surface
    assert not (await ingest(fake.gateway(), PLUGIN, [login()], idempotency=grpc_key)).replayed


async def test_the_same_key_with_another_batch_or_in_flight_is_refused() -> None:
    fake = FakeGateway()
    await ingest(fake.gateway(), PLUGIN, [login()], idempotency=IdempotencyKey("k1", b"a", surface="rest"))
    with pytest.raises(IdempotencyKeyReused):
        await ingest(
            fake.gateway(), PLUGIN, [login()], idempotency=IdempotencyKey("k1", b"b", surface="rest")
        )
    fake.binder.claims[("acme", "rest:crm.ingest", "k2")] = (b"a", None)
    with pytest.raises(Conflict, match="still being processed"):
        await ingest(
            fake.gateway(), PLUGIN, [login()], idempotency=IdempotencyKey("k2", b"a", surface="rest")
        )


async def test_a_failed_batch_releases_its_key_for_the_retry() -> None:
    fake = FakeGateway()
    key = IdempotencyKey("k1", b"a", surface="grpc")
    fake.publisher.failure = UpstreamUnavailable("broker down")
    with pytest.raises(UpstreamUnavailable):
        await ingest(fake.gateway(), PLUGIN, [login()], idempotency=key)
    with pytest.raises(InvalidRequest, match="at most 3 events"):
        await ingest(fake.gateway(), PLUGIN, [login()] * 4, idempotency=key)
    assert fake.binder.claims == {}
    fake.publisher.failure = None
    assert (await ingest(fake.gateway(), PLUGIN, [login()], idempotency=key)).answer.status_code == 202


async def test_a_malformed_key_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="Idempotency-Key"):
        await ingest(
            FakeGateway().gateway(), PLUGIN, [login()], idempotency=IdempotencyKey("a b", b"", surface="grpc")
        )
