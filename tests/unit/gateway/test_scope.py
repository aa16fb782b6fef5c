"""The tenant scope: the role check comes before anything else, and every port an operation reaches
is bound to the caller's tenant, whatever the request names."""

from __future__ import annotations

import pytest

from groundtruth.capture.v1 import capture_pb2
from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain.access import Operation
from services.gateway.domain.principal import Principal, Role
from services.gateway.errors import InvalidRequest, PermissionDenied
from services.gateway.operations import capture, erasure, reads
from services.gateway.operations.scope import TenantScope, enter, scoped
from tests.unit.gateway.fakes import FakeGateway

ADMIN = Principal(tenant_id="acme", key_id="k-admin", role=Role.ADMIN)
REP = Principal(tenant_id="acme", key_id="k-rep", role=Role.REP, rep_id="rep-1")
PLUGIN = Principal(tenant_id="acme", key_id="k-plugin", role=Role.PLUGIN)


async def test_a_role_outside_the_policy_is_refused_before_the_body_runs() -> None:
    ran: list[str] = []

    @scoped(Operation.ERASE_REP)
    async def body(scope: TenantScope, *, rep_id: str) -> str:
        ran.append(rep_id)
        return rep_id

    fake = FakeGateway()
    with pytest.raises(PermissionDenied, match=r"a rep key cannot admin\.erase_rep"):
        await body(fake.gateway(), REP, rep_id="rep-1")
    assert ran == [] and fake.binder.bound == []
    assert await body(fake.gateway(), ADMIN, rep_id="rep-1") == "rep-1"


async def test_every_port_is_bound_to_the_callers_tenant() -> None:
    fake = FakeGateway()
    gateway = fake.gateway()
    await erasure.erase_rep(gateway, ADMIN, rep_id="rep-9")
    await capture.register_microsoft(
        gateway,
        ADMIN,
        # A tenant named in the request is never used: the handle is bound to the key's tenant.
        capture_request(tenant_id="globex"),
    )
    await reads.readiness(gateway, PLUGIN)
    assert fake.binder.bound and set(fake.binder.bound) == {"acme"}
    assert {tenant for tenant, _, _ in fake.binder.calls} == {"acme"}


async def test_an_event_of_another_tenant_is_never_published() -> None:
    fake = FakeGateway()
    scope = enter(fake.gateway(), ADMIN, Operation.WRITE_TENANT_CONFIG)
    with pytest.raises(ValueError, match="another tenant"):
        await scope.publish([crm_pb2.CrmEvent(tenant_id="globex")])
    assert fake.publisher.published == []


@pytest.mark.parametrize(
    ("principal", "rep_id", "error"),
    [
        pytest.param(ADMIN, "rep-2", None, id="admin reads any rep"),
        pytest.param(REP, "rep-1", None, id="rep reads itself"),
        pytest.param(REP, "rep-2", PermissionDenied, id="rep reads no one else"),
        pytest.param(ADMIN, "not a rep!", InvalidRequest, id="malformed id"),
    ],
)
async def test_readable_rep(principal: Principal, rep_id: str, error: type[Exception] | None) -> None:
    scope = enter(FakeGateway().gateway(), principal, Operation.READ_REP_SCORE)
    if error is None:
        assert await scope.readable_rep(rep_id) == rep_id
    else:
        with pytest.raises(error):
            await scope.readable_rep(rep_id)


def capture_request(*, tenant_id: str) -> capture_pb2.RegisterMicrosoftConnectionRequest:
    return capture_pb2.RegisterMicrosoftConnectionRequest(
        tenant_id=tenant_id, directory_tenant_id="contoso.example", client_id="app", client_secret="s"
    )
