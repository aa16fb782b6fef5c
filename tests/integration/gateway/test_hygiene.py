"""One input hygiene at the edge: hostile strings (a lone UTF-16 surrogate, NUL, control
characters, an oversized string) drawn into every string field of every request schema the
OpenAPI document publishes (bodies, nested objects, list items, map keys and values, query
parameters). Each is answered 422 naming the field (a CRM event batch: the item refused, naming
it), never accepted and never a 5xx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import grpc
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundtruth.gateway.v1 import gateway_pb2 as g
from groundtruth.gateway.v1 import gateway_pb2_grpc
from services.gateway.domain.principal import Role
from tests.integration.gateway.conftest import GatewayUnderTest
from tests.integration.gateway.events import team_config
from tests.integration.gateway.matrix import IN_SCOPE, REST_MATRIX

pytestmark = pytest.mark.integration
HOSTILE = ["\ud800", "a\udfffb", "\x00", "id\x00", "\x01", "\x1b[2J", "\x7f", "x" * 20_000]
Path = tuple[str | int, ...]


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


Fixes = tuple[tuple[Path, str], ...]


def string_paths(
    schema: dict[str, Any], spec: dict[str, Any], path: Path = (), depth: int = 0, fixes: Fixes = ()
) -> Iterator[tuple[Path, Fixes]]:
    """Where a string goes in a value of `schema`: ("a", 0, "b") for {"a": [{"b": ...}]}; a map's
    key is written ("m", "<key>"). `fixes` are the discriminators (a CRM event's `type`) that make
    the value the variant the path belongs to."""
    if depth > 6:
        return
    schema = _resolve(schema, spec)
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from string_paths(branch, spec, path, depth + 1, fixes)
    kind = schema.get("type")
    if kind == "string" and "enum" not in schema and "const" not in schema and "format" not in schema:
        yield path, fixes
    elif kind == "array" and isinstance(schema.get("items"), dict):
        yield from string_paths(schema["items"], spec, (*path, 0), depth + 1, fixes)
    elif kind == "object":
        properties = schema.get("properties", {})
        # Constants and enums (discriminators such as a CRM event's `type` or a key's `role`) get a
        # valid value, so the request is the variant the attacked field belongs to.
        own: Fixes = tuple(
            (
                (*path, name),
                str(_resolve(child, spec).get("const", (_resolve(child, spec).get("enum") or [""])[0])),
            )
            for name, child in properties.items()
            if "const" in _resolve(child, spec) or "enum" in _resolve(child, spec)
        )
        for name, child in properties.items():
            yield from string_paths(child, spec, (*path, name), depth + 1, fixes + own)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            yield (*path, "<key>"), fixes + own
            yield from string_paths(extra, spec, (*path, "k"), depth + 1, fixes + own)


def with_value(body: Any, path: Path, value: str) -> Any:
    """`body` with `value` written at `path` (missing objects and lists are created)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if head == "<key>":
        assert isinstance(body, dict)
        return {**body, value: "x"}
    if isinstance(head, int):
        items = list(body) if isinstance(body, list) and body else [{}]
        items[0] = with_value(items[0], rest, value)
        return items
    current = dict(body) if isinstance(body, dict) else {}
    current[head] = with_value(current.get(head, {} if rest else ""), rest, value)
    return current


def targets(spec: dict[str, Any]) -> list[tuple[str, str, Path, Fixes]]:
    """(route, where, path) for every string of every request schema and query parameter."""
    found: list[tuple[str, str, Path, Fixes]] = []
    for route_path, operations in spec["paths"].items():
        for method, operation in operations.items():
            route = f"{method.upper()} {route_path}"
            if route not in REST_MATRIX:
                continue
            for parameter in operation.get("parameters", []):
                schema = _resolve(parameter.get("schema", {}), spec)
                types = [schema.get("type")] + [b.get("type") for b in schema.get("anyOf", [])]
                if parameter["in"] == "query" and "string" in types and "format" not in schema:
                    found.append((route, "query", (parameter["name"],), ()))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                found += [(route, "body", p, f) for p, f in string_paths(body["schema"], spec)]
    return found


def location(where: str, path: Path) -> str:
    return ".".join(str(p) for p in (where, *path) if p != "<key>")


@pytest.fixture(scope="module")
async def spec(gateway_env: GatewayUnderTest) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=gateway_env.url, timeout=10) as client:
        return dict((await client.get("/openapi.json")).json())


def test_every_request_schema_has_strings_to_attack(spec: dict[str, Any]) -> None:
    routes = {route for route, _, _, _ in targets(spec)}
    assert {"POST /v1/crm/events", "PUT /v1/admin/config", "POST /v1/admin/connections/google"} <= routes
    assert len(targets(spec)) > 60


async def test_hostile_strings_are_refused_naming_the_field(
    gateway_env: GatewayUnderTest, spec: dict[str, Any]
) -> None:
    env = gateway_env
    cases = targets(spec)
    client = httpx.Client(base_url=env.url, timeout=30)

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.sampled_from(cases), st.sampled_from(HOSTILE))
    def attack(case: tuple[str, str, Path, Fixes], hostile: str) -> None:
        route, where, path, fixes = case
        method, url_path = route.split(" ", 1)
        role = next(
            r for r in (Role.ADMIN, Role.PLUGIN, Role.REP, Role.MANAGER) if r in REST_MATRIX[route].allowed
        )
        url = url_path.replace("{rep_id}", IN_SCOPE.rep).replace("{connection_id}", "conn-globex-1")
        url = url.replace("{address}", "ann@globex.example").replace("{key_id}", "k1")
        body: Any = None
        if where == "query":
            # A URL is bytes: a lone surrogate arrives as the (invalid) UTF-8 bytes that encode it.
            raw = hostile.encode("utf-8", "surrogatepass")
            url = f"{url}?{path[0]}={quote_from_bytes(raw)}"
        else:
            body = {}
            for fixed_path, fixed in fixes:
                body = with_value(body, fixed_path, fixed)
            body = with_value(body, path, hostile)
        content = json.dumps(body).encode() if body is not None else None  # ensure_ascii: \\ud800 escapes
        headers = {**env.headers("globex", role), "Content-Type": "application/json"}
        answer = client.request(method, url, content=content, headers=headers)
        assert answer.status_code < 500, answer.text
        assert answer.status_code not in (200, 201, 202, 204), f"{route} accepted {hostile[:20]!r} at {path}"
        field = (
            str(path[-1]) if path[-1] not in (0, "<key>", "k") else str(path[-2] if len(path) > 1 else where)
        )
        if answer.status_code == 413:  # the oversized string exceeded the body limit first
            return
        assert answer.status_code in (400, 422), answer.text
        assert field in answer.text, (
            f"{route}: the answer does not name {location(where, path)}: {answer.text}"
        )

    try:
        await asyncio.to_thread(attack)  # the gateway serves on this event loop meanwhile
    finally:
        await asyncio.to_thread(client.close)


async def test_grpc_requests_follow_the_same_text_rules(gateway_env: GatewayUnderTest) -> None:
    """The same rules over gRPC: a NUL or control character anywhere in a request is
    INVALID_ARGUMENT naming the field, before any upstream is asked."""
    config = team_config()
    config.stages.append("Closed\x00Won")
    cases: list[tuple[str, Any, str, Role]] = [
        ("SetTenantConfig", g.SetTenantConfigRequest(config=config), "config.stages[", Role.ADMIN),
        ("ListRepScores", g.ListRepScoresRequest(team_id="team-east\x1b"), "team_id", Role.ADMIN),
        (
            "SetMyExclusions",
            g.SetMyExclusionsRequest(excluded_domains=["x\x00.example"]),
            "excluded_domains",
            Role.REP,
        ),
    ]
    async with grpc.aio.insecure_channel(gateway_env.grpc_target) as channel:
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        for method, request, field, role in cases:
            before = len(gateway_env.upstreams.recorder.calls)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await getattr(stub, method)(request, metadata=gateway_env.metadata("globex", role), timeout=5)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, method
            assert field in (refused.value.details() or ""), refused.value.details()
            assert len(gateway_env.upstreams.recorder.calls) == before, f"{method} reached an upstream"
