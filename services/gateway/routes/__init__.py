"""REST routers, one module per area; assembled in `services.gateway.api`.

Handlers are thin: parse, call the operation (which authorizes), render. Protobuf answers are
rendered by `proto_json.to_json` and documented by the model generated from the same descriptor.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message
from starlette.responses import JSONResponse, Response

from services.gateway.adapters.read_cache import Cached
from services.gateway.problems import ERROR_RESPONSES

RESPONSES = ERROR_RESPONSES


def proto_response(message: Message, *, status_code: int = 200) -> JSONResponse:
    from services.gateway.proto_json import to_json

    return JSONResponse(to_json(message), status_code=status_code)


def json_body(message: Message) -> bytes:
    """The JSON body `proto_response` would send (for answers rendered once and served often)."""
    return bytes(proto_response(message).body)


def cached_response(cached: Cached[Any]) -> Response:
    return Response(cached.render(json_body), media_type="application/json")
