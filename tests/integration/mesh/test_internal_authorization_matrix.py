"""Who may call the internal gRPC services: every method of scoring's ScoringQuery and ScoringAdmin
and of capture's CaptureAdmin, called with no certificate, with a certificate of another CA, and with
a certificate of the mesh (beside the external matrix, tests/integration/gateway/
test_authorization_matrix.py). Only the last gets an answer from the service (the request is empty,
so INVALID_ARGUMENT or an answer); the others never get past the TLS handshake (UNAVAILABLE), so no
handler runs. Real scoring and capture, real PostgreSQL and Kafka."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from groundtruth.capture.v1 import capture_pb2
from groundtruth.scoring.v1 import scoring_pb2
from plumbing.embedded.mesh_ca import issue_mesh
from plumbing.embedded.process import free_port
from plumbing.tls import MeshTls
from services.capture.app import running_capture
from services.capture.config import Settings as CaptureSettings
from services.scoring.app import running_scoring
from tests.integration.conftest import Isolated
from tests.integration.platform import scoring_settings

pytestmark = pytest.mark.integration
HANDLED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}


@dataclass(frozen=True)
class Internal:
    targets: dict[str, str]  # service name -> host:port
    mesh_client: MeshTls
    foreign_client: MeshTls


@pytest.fixture(scope="module")
async def internal(isolated: Isolated, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Internal]:
    values: dict[str, Any] = {**isolated.env(), "host": "127.0.0.1", "grpc_port": free_port()}
    capture_config = CaptureSettings(**values, http_port=free_port())
    # A CA nobody trusts, issuing a certificate for the same names: what an attacker can make.
    foreign = issue_mesh(Path(tmp_path_factory.mktemp("foreign-ca")), services=("client",))
    async with (
        running_scoring(scoring_settings(isolated, group=f"matrix-{isolated.namespace}")) as scoring,
        running_capture(capture_config) as capture,
    ):
        yield Internal(
            {"scoring": f"127.0.0.1:{scoring.grpc_port}", "capture": f"127.0.0.1:{capture.grpc_port}"},
            isolated.client_tls,
            foreign.tls("client"),
        )


def _methods() -> list[tuple[str, str, Any]]:
    found = []
    for service_name, descriptor, module in (
        ("scoring", scoring_pb2.DESCRIPTOR, scoring_pb2),
        ("capture", capture_pb2.DESCRIPTOR, capture_pb2),
    ):
        del module
        for service in descriptor.services_by_name.values():
            for method in service.methods:
                found.append((service_name, f"/{service.full_name}/{method.name}", method))
    return found


METHODS = _methods()


@contextlib.asynccontextmanager
async def channel(target: str, tls: MeshTls | None) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(target) if tls is None else tls.channel(target) as opened:
        yield opened


async def call(target: str, path: str, method: Any, tls: MeshTls | None) -> grpc.StatusCode:
    """The status of calling `path` with an empty request over the given credentials."""
    async with channel(target, tls) as opened:
        empty = b""  # an empty message of any type: every field at its default
        try:
            if method.server_streaming:
                stream: Any = opened.unary_stream(path)
                async for _ in stream(empty, timeout=5):
                    break
            else:
                unary: Any = opened.unary_unary(path)
                await unary(empty, timeout=5)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def test_every_internal_method_is_in_the_matrix() -> None:
    names = {path for _, path, _ in METHODS}
    assert "/groundtruth.scoring.v1.ScoringQuery/GetRepScore" in names
    assert "/groundtruth.capture.v1.CaptureAdmin/ListConnections" in names
    assert "/groundtruth.capture.v1.CaptureAdmin/SetCapturePolicy" in names
    assert "/groundtruth.scoring.v1.ScoringAdmin/EraseRep" in names
    assert len(names) >= 20


@pytest.mark.parametrize(("service", "path", "method"), METHODS, ids=[p for _, p, _ in METHODS])
async def test_only_a_certificate_of_the_mesh_is_let_in(
    internal: Internal, service: str, path: str, method: Any
) -> None:
    target = internal.targets[service]
    # No certificate at all: plaintext to a TLS port fails the handshake.
    assert await call(target, path, method, None) == grpc.StatusCode.UNAVAILABLE
    # A certificate (and CA) of someone else: the server refuses the client certificate.
    assert await call(target, path, method, internal.foreign_client) == grpc.StatusCode.UNAVAILABLE
    # A service of the mesh: the request reaches the service, which judges it.
    assert await call(target, path, method, internal.mesh_client) in HANDLED


async def test_a_server_of_another_ca_is_not_trusted_by_the_gateway_side(
    internal: Internal, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The client side verifies too: a mesh client refuses a server whose certificate is not of the
    mesh CA (here: capture's port seen through a client that trusts only the foreign CA)."""
    foreign_trust = MeshTls(
        ca_pem=internal.foreign_client.ca_pem,
        cert_pem=internal.mesh_client.cert_pem,
        key_pem=internal.mesh_client.key_pem,
    )
    path, method = next((p, m) for s, p, m in METHODS if s == "capture")
    assert await call(internal.targets["capture"], path, method, foreign_trust) == grpc.StatusCode.UNAVAILABLE
