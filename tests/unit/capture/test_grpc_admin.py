"""The CaptureAdmin servicer as an edge: protos in and out, and one status code per kind of error."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest

from groundtruth.capture.v1 import capture_pb2
from services.capture.adapters.grpc_admin import CaptureAdminServicer
from services.capture.ports import StoredTenantPolicy, StoreUnavailable
from tests.unit.capture.admin_fakes import AdminWorld, MemoryAdminStore


@dataclass
class Aborted(Exception):
    code: grpc.StatusCode
    details: str


class FakeContext:
    """The one thing the servicer asks of its context: abort, which raises."""

    async def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        raise Aborted(code, details)


class BrokenStore(MemoryAdminStore):
    def __init__(self, failure: Exception) -> None:
        super().__init__()
        self.failure = failure

    async def get_policy(self, *, tenant_id: str) -> StoredTenantPolicy | None:
        raise self.failure


async def aborted(servicer: CaptureAdminServicer, request: capture_pb2.GetCapturePolicyRequest) -> Aborted:
    with pytest.raises(Aborted) as raised:
        await servicer.GetCapturePolicy(request, FakeContext())  # type: ignore[arg-type]
    return raised.value


@pytest.mark.parametrize(
    ("failure", "code", "details"),
    [
        pytest.param(
            StoreUnavailable("capture's database is unavailable: ..."),
            grpc.StatusCode.UNAVAILABLE,
            "storage unavailable, retry",
            id="database restarting",
        ),
        pytest.param(
            RuntimeError("a bug with a secret inside"), grpc.StatusCode.INTERNAL, "internal error", id="bug"
        ),
    ],
)
async def test_store_failures_become_status_codes_without_their_details(
    failure: Exception, code: grpc.StatusCode, details: str
) -> None:
    servicer = CaptureAdminServicer(AdminWorld(store=BrokenStore(failure)).ports)
    assert await aborted(servicer, capture_pb2.GetCapturePolicyRequest(tenant_id="acme")) == Aborted(
        code, details
    )


async def test_bad_input_is_invalid_argument_with_what_was_wrong() -> None:
    servicer = CaptureAdminServicer(AdminWorld().ports)
    refused = await aborted(servicer, capture_pb2.GetCapturePolicyRequest(tenant_id=""))
    assert refused.code is grpc.StatusCode.INVALID_ARGUMENT
    assert refused.details.startswith("tenant_id is required")


async def test_without_a_key_registering_is_a_failed_precondition() -> None:
    servicer = CaptureAdminServicer(AdminWorld().without_key().ports)
    request = capture_pb2.RegisterMicrosoftConnectionRequest(
        tenant_id="acme",
        directory_tenant_id="contoso.onmicrosoft.com",
        client_id="app",
        client_secret="s3cret",
    )
    with pytest.raises(Aborted) as raised:
        await servicer.RegisterMicrosoftConnection(request, FakeContext())  # type: ignore[arg-type]
    assert raised.value.code is grpc.StatusCode.FAILED_PRECONDITION


async def test_a_missing_object_is_not_found_and_an_unknown_level_is_invalid() -> None:
    servicer = CaptureAdminServicer(AdminWorld().ports)
    with pytest.raises(Aborted) as raised:
        request = capture_pb2.DeleteConnectionRequest(tenant_id="acme", connection_id="ms-x")
        await servicer.DeleteConnection(request, FakeContext())  # type: ignore[arg-type]
    assert raised.value == Aborted(grpc.StatusCode.NOT_FOUND, "no connection 'ms-x'")
    policy = capture_pb2.CapturePolicy(tenant_id="acme", capture_level=99)  # type: ignore[arg-type]
    with pytest.raises(Aborted) as raised:
        await servicer.SetCapturePolicy(capture_pb2.SetCapturePolicyRequest(policy=policy), FakeContext())  # type: ignore[arg-type]
    assert raised.value.code is grpc.StatusCode.INVALID_ARGUMENT


async def test_a_tenant_without_a_policy_reads_metadata_level() -> None:
    servicer = CaptureAdminServicer(AdminWorld().ports)
    request = capture_pb2.GetCapturePolicyRequest(tenant_id="acme")
    answer = await servicer.GetCapturePolicy(request, FakeContext())  # type: ignore[arg-type]
    assert answer == capture_pb2.CapturePolicy(
        tenant_id="acme", capture_level=capture_pb2.CAPTURE_LEVEL_METADATA
    )
