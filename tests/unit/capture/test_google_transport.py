"""The SDK plumbing capture relies on for speed must not change what goes on the wire."""

from __future__ import annotations

import copy
import gzip

import httplib2
import pytest

from services.capture.providers.google.client import GoogleWorkspaceClient, Services
from services.capture.providers.google.gmail import METADATA_HEADERS
from services.capture.providers.google.transport import KeepAliveHttp, _decoded


@pytest.fixture(scope="module")
def services() -> Services:
    http = KeepAliveHttp()
    build = GoogleWorkspaceClient._build
    return Services(
        build("gmail", "v1", http, "http://127.0.0.1:9"),
        build("calendar", "v3", http, "http://127.0.0.1:9/calendar/v3/"),
    )


@pytest.mark.parametrize("message_id", ["18c2f1a9b3e4d5f6", "id with/odd?chars"])
def test_a_copied_metadata_request_is_the_one_the_sdk_builds(services: Services, message_id: str) -> None:
    headers = list(METADATA_HEADERS)
    built = services.messages.get(userId="me", id=message_id, format="metadata", metadataHeaders=headers)
    copied = services.message_metadata(message_id, headers)
    assert copied.uri == built.uri
    assert (copied.method, copied.body, copied.methodId) == (built.method, built.body, built.methodId)
    assert copied.headers == built.headers


def test_gzip_answers_are_decoded() -> None:
    response = httplib2.Response({"status": "200", "content-encoding": "gzip"})
    body = _decoded(response, gzip.compress(b'{"id": "m1"}'))
    assert body == b'{"id": "m1"}' and "content-encoding" not in response


def test_a_deep_copy_shares_no_connection() -> None:
    http = KeepAliveHttp(timeout_sec=7)
    http._connections[("http", "127.0.0.1", 9)] = object()  # type: ignore[assignment]
    twin = copy.deepcopy(http)
    assert twin is not http and twin.timeout == 7 and not twin._connections
