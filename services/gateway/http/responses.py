"""How routes answer: protobuf messages as REST JSON (`proto_json`), cached answers rendered once,
and the error statuses documented on every route."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from starlette.responses import JSONResponse, Response

from services.gateway.http.problems import ERROR_RESPONSES
from services.gateway.http.proto_json import to_json
from services.gateway.ports import Cached

# Documented on every route (see `problems.ERROR_RESPONSES`).
RESPONSES = ERROR_RESPONSES


def proto_response(message: Message, *, status_code: int = 200) -> JSONResponse:
    return JSONResponse(to_json(message), status_code=status_code)


def json_body(message: Message) -> bytes:
    """The JSON body `proto_response` would send (for answers rendered once and served often)."""
    return bytes(proto_response(message).body)


def cached_response(cached: Cached[Any]) -> Response:
    return Response(cached.render(json_body), media_type="application/json")
