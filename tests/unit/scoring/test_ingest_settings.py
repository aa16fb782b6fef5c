"""IngestService keeps each tenant's settings per stored configuration version: a new version must
take effect in the very next batch, whatever was kept before."""

from __future__ import annotations

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2
from services.sandbox.synthetic import events as ev
from services.scoring.domain.instants import datetime_to_us
from services.scoring.operations.ingest import IngestService
from tests.unit.scoring.memory_store import MemoryStore
from tests.unit.scoring.world import MEETING, NOW, at, decode


def _config(version: int, internal: list[str]) -> crm_pb2.CrmEvent:
    config = crm_pb2.TenantConfig(version=version, internal_domains=internal)
    return ev.tenant_config(tenant_id="t1", config=config, at=at(version))


def _meeting(item: str, day: float) -> activity_pb2.Activity:
    return ev.activity(
        tenant_id="t1",
        rep_id="r1",
        item_id=item,
        kind=MEETING,
        occurred_at=at(day),
        external=["p@partner.example"],
    )


async def test_a_new_configuration_version_applies_to_the_next_batch() -> None:
    store = MemoryStore()
    service = IngestService(store, now_us=lambda: datetime_to_us(NOW))
    await service.apply([decode(_config(1, ["acme.example"]))])
    await service.apply([decode(_meeting("m1", 2))])
    await service.apply([decode(_config(2, ["acme.example", "partner.example"]))])
    await service.apply([decode(_meeting("m2", 3))])
    await service.apply([decode(_config(3, ["acme.example"]))])
    await service.apply([decode(_meeting("m3", 4))])

    # partner.example is internal only under version 2: a stale version would keep m2 external.
    by_item = {row.occurred_us: row.is_external for row in store.state.activities.values()}
    assert [by_item[datetime_to_us(at(day))] for day in (2, 3, 4)] == [True, False, True]
