"""`RestClient` over an in-memory HTTP transport: problems, retries of reads only, pagination."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from services.client import rest
from services.client.rest import ApiError, GatewayUnreachable, RestClient


def client_for(
    handler: Callable[[httpx.Request], httpx.Response], sleeps: list[float] | None = None
) -> RestClient:
    waits = sleeps if sleeps is not None else []
    return RestClient(
        "http://gw.example/", "gt_key", transport=httpx.MockTransport(handler), sleep=waits.append
    )


def test_requests_carry_the_key_and_the_v1_prefix() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"mailboxes": []})

    with client_for(handler) as client:
        assert client.sync_status(mailbox="ann@acme.example") == {"mailboxes": []}
        client.sync_status()
    assert seen[0].url == "http://gw.example/v1/admin/sync-status?mailbox=ann%40acme.example"
    assert seen[1].url == "http://gw.example/v1/admin/sync-status"
    assert seen[0].headers["Authorization"] == "Bearer gt_key"


def test_path_parts_are_escaped() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(204)

    with client_for(handler) as client:
        client.remove_mailbox("a/b@x.example")
    assert seen == ["/v1/admin/mailboxes/a%2Fb%40x.example"]


def test_a_problem_document_becomes_an_api_error() -> None:
    body = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no connection 'x'"}
    with client_for(lambda _: httpx.Response(404, json=body)) as client, pytest.raises(ApiError) as error:
        client.delete_connection("x")
    assert (error.value.status, error.value.detail) == (404, "no connection 'x'")
    assert str(error.value) == "404 Not Found: no connection 'x'"


def test_an_answer_that_is_not_json_says_so() -> None:
    with (
        client_for(lambda _: httpx.Response(404, text="<html>nginx</html>")) as client,
        pytest.raises(ApiError) as error,
    ):
        client.readiness()
    assert "is the URL the gateway's?" in error.value.detail


def test_reads_are_retried_on_503_but_writes_never() -> None:
    calls: list[str] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if request.method == "GET" and calls.count("GET") < 3:
            return httpx.Response(503, headers={"Retry-After": "1"}, json={"title": "x", "detail": "down"})
        if request.method == "POST":
            return httpx.Response(503, json={"title": "Service Unavailable", "detail": "down"})
        return httpx.Response(200, json={"connections": []})

    with client_for(handler, sleeps) as client:
        assert client.list_connections() == {"connections": []}
        with pytest.raises(ApiError):
            client.trigger_sync(full_resync=True)
    assert calls == ["GET", "GET", "GET", "POST"]
    assert sleeps == [1.0, 1.0]  # the server's Retry-After


def test_lists_follow_every_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("page_token", "")
        assert request.url.params["page_size"] == "500" and request.url.params["team_id"] == "east"
        if not token:
            return httpx.Response(200, json={"scores": [{"rep_id": "a"}], "next_page_token": "p2"})
        return httpx.Response(200, json={"scores": [{"rep_id": "b"}], "next_page_token": ""})

    with client_for(handler) as client:
        assert client.rep_scores(team_id="east") == {"scores": [{"rep_id": "a"}, {"rep_id": "b"}]}


def test_bodies_of_writes() -> None:
    bodies: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(201, json={"connection_id": "m"})

    with client_for(handler) as client:
        client.register_microsoft(
            directory_tenant_id="d", client_id="c", client_secret="s", connection_id="m"
        )
        client.create_key(name="n", role="plugin")
        client.upsert_mailboxes("m", [("a@x.example", "rep-a")])
    assert bodies == [
        {"directory_tenant_id": "d", "client_id": "c", "connection_id": "m", "client_secret": "s"},
        {"name": "n", "role": "plugin"},
        {"mailboxes": [{"address": "a@x.example", "rep_id": "rep-a"}]},
    ]


def test_no_answer_is_gateway_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with client_for(handler) as client, pytest.raises(GatewayUnreachable) as error:
        client.readiness()
    assert str(error.value) == "cannot reach the gateway at http://gw.example (connection refused)"


def test_batches() -> None:
    items = [(f"m{i}@x.example", f"r{i}") for i in range(2_500)]
    assert [len(b) for b in rest.iter_batches(items)] == [1_000, 1_000, 500]
