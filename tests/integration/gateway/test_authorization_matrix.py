"""Every endpoint x every role x own/other tenant, over REST and gRPC.

Own tenant (acme): allowed roles succeed for a target in their scope; other roles, and scoped roles
for a target outside their scope, get 403 / PERMISSION_DENIED. Other tenant (globex keys aimed at
acme's identifiers, plus a spoofed X-Tenant-Id): the gateway asks its upstreams about globex only,
never answers with anything of acme's, and ids only acme has are 404 / NOT_FOUND.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import httpx
import pytest

from groundtruth.gateway.v1 import gateway_pb2
from plumbing.health import Readiness
from services.gateway.admin import keys
from services.gateway.domain.principal import Role
from services.gateway.http.api import create_app
from tests.integration.gateway.conftest import GatewayUnderTest
from tests.integration.gateway.fakes import marker, matched
from tests.integration.gateway.matrix import (
    GRPC_MATRIX,
    IN_SCOPE,
    OUT_OF_SCOPE,
    REST_MATRIX,
    Case,
    KeyFactory,
)

pytestmark = pytest.mark.integration
OWN, OTHER = "acme", "globex"
ROLES = list(Role)


def rest_routes() -> list[str]:
    """Every operation of the application's route table, as FastAPI publishes it in OpenAPI."""
    app = create_app(gateway=None, readiness=Readiness(), max_body_bytes=1024)  # type: ignore[arg-type]
    return sorted(
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method in operations
    )


def _serialize(message: Any) -> bytes:
    return bytes(message.SerializeToString())


def grpc_methods() -> list[str]:
    return sorted(m.name for m in gateway_pb2.DESCRIPTOR.services_by_name["Groundtruth"].methods)


def test_every_route_and_method_has_a_matrix_entry() -> None:
    assert set(rest_routes()) - set(REST_MATRIX) == set(), "REST routes without an authorization matrix entry"
    assert set(REST_MATRIX) - set(rest_routes()) == set(), "matrix entries for REST routes that do not exist"
    assert set(grpc_methods()) - set(GRPC_MATRIX) == set(), (
        "gRPC methods without an authorization matrix entry"
    )
    assert set(GRPC_MATRIX) - set(grpc_methods()) == set(), (
        "matrix entries for gRPC methods that do not exist"
    )


def key_factory(env: GatewayUnderTest, tenant: str) -> KeyFactory:
    async def new_key() -> str:
        gw = env.running.gateway
        created = await keys.issue_key(
            gw.pool,
            pepper=gw.pepper,
            tenant_id=tenant,
            name="throwaway",
            role=Role.PLUGIN,
            rep_id=None,
            created_by="test",
        )
        return created.record.key_id

    return new_key


@pytest.fixture(scope="module", autouse=True)
def seeded_feed(gateway_env: GatewayUnderTest) -> None:
    for tenant in (OWN, OTHER):
        gateway_env.upstreams.scoring.feed[tenant] = [matched(tenant, seq) for seq in (1, 2)]


async def rest_call(
    env: GatewayUnderTest,
    client: httpx.AsyncClient,
    route: str,
    case: Case,
    headers: dict[str, str],
    *,
    target_tenant: str,
    target: object,
) -> httpx.Response:
    method = route.split(" ", 1)[0]
    request = await case.build(target, key_factory(env, target_tenant))
    return await client.request(
        method, request.path, params=request.params, json=request.json, headers=headers
    )


@pytest.mark.parametrize("route", rest_routes())
async def test_rest_route(gateway_env: GatewayUnderTest, route: str) -> None:
    case = REST_MATRIX.get(route)
    assert case is not None, f"{route} has no entry in the authorization matrix"
    env = gateway_env
    async with httpx.AsyncClient(base_url=env.url, timeout=10) as client:
        unauthenticated = await rest_call(env, client, route, case, {}, target_tenant=OWN, target=IN_SCOPE)
        assert unauthenticated.status_code == 401, unauthenticated.text
        for role in ROLES:
            for target in (IN_SCOPE, OUT_OF_SCOPE):
                own = await rest_call(
                    env, client, route, case, env.headers(OWN, role), target_tenant=OWN, target=target
                )
                expected = case.success if case.allows(role, target) else 403
                assert own.status_code == expected, f"{route} as acme {role} ({target}): {own.text}"

                calls_before = len(env.upstreams.recorder.calls)
                other = await rest_call(
                    env,
                    client,
                    route,
                    case,
                    {**env.headers(OTHER, role), "X-Tenant-Id": OWN},
                    target_tenant=OWN,
                    target=target,
                )
                if not case.allows(role, target):
                    expected = 403
                elif case.tenant_unique:
                    expected = 404
                elif case.tenant_bound:
                    expected = 400
                assert other.status_code == expected, f"{route} as globex {role} ({target}): {other.text}"
                assert marker(OWN) not in other.text
                asked = {tenant for _, tenant in env.upstreams.recorder.calls[calls_before:]}
                assert asked <= {OTHER}, f"{route} as globex {role} asked upstreams about {asked}"


async def streams_stopped(env: GatewayUnderTest) -> None:
    """Wait until a cancelled feed stream no longer polls scoring (it must stop, and quickly)."""
    for _ in range(40):
        before = len(env.upstreams.recorder.calls)
        await asyncio.sleep(0.15)  # three poll intervals of the test gateway
        if len(env.upstreams.recorder.calls) == before:
            return
    raise AssertionError("a cancelled StreamFeed kept polling scoring")


@pytest.mark.parametrize("method", grpc_methods())
async def test_grpc_method(gateway_env: GatewayUnderTest, method: str) -> None:
    case = GRPC_MATRIX.get(method)
    assert case is not None, f"{method} has no entry in the authorization matrix"
    env = gateway_env
    descriptor = gateway_pb2.DESCRIPTOR.services_by_name["Groundtruth"].methods_by_name[method]
    path = f"/groundtruth.gateway.v1.Groundtruth/{method}"
    async with grpc.aio.insecure_channel(env.grpc_target) as channel:

        async def call(metadata: tuple[tuple[str, str], ...], target: object) -> tuple[grpc.StatusCode, str]:
            request = await case.build(target, key_factory(env, OWN))
            try:
                if descriptor.server_streaming:
                    stream: Any = channel.unary_stream(
                        path, request_serializer=lambda m: m.SerializeToString()
                    )
                    call = stream(request, metadata=metadata, timeout=5)
                    first = await call.read()
                    call.cancel()
                    await streams_stopped(env)
                    return grpc.StatusCode.OK, str(first)
                unary: Any = channel.unary_unary(path, request_serializer=_serialize)
                answer = await unary(request, metadata=metadata, timeout=5)
                return grpc.StatusCode.OK, str(answer)
            except grpc.aio.AioRpcError as exc:
                return exc.code(), exc.details() or ""

        code, _ = await call((), IN_SCOPE)
        assert code == grpc.StatusCode.UNAUTHENTICATED
        for role in ROLES:
            for target in (IN_SCOPE, OUT_OF_SCOPE):
                code, detail = await call(env.metadata(OWN, role), target)
                expected = (
                    grpc.StatusCode.OK if case.allows(role, target) else grpc.StatusCode.PERMISSION_DENIED
                )
                assert code == expected, f"{method} as acme {role} ({target}): {code} {detail}"

                calls_before = len(env.upstreams.recorder.calls)
                code, answer = await call((*env.metadata(OTHER, role), ("x-tenant-id", OWN)), target)
                if not case.allows(role, target):
                    expected = grpc.StatusCode.PERMISSION_DENIED
                elif case.tenant_unique:
                    expected = grpc.StatusCode.NOT_FOUND
                elif case.tenant_bound:
                    expected = grpc.StatusCode.INVALID_ARGUMENT
                assert code == expected, f"{method} as globex {role} ({target}): {code} {answer}"
                assert marker(OWN) not in answer
                asked = {tenant for _, tenant in env.upstreams.recorder.calls[calls_before:]}
                assert asked <= {OTHER}, f"{method} as globex {role} asked upstreams about {asked}"
