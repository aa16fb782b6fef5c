"""The one FastAPI dependency every route takes: the gateway and the authenticated caller.

The caller was authenticated and authorized by the route itself before anything else ran
(`http/guard.py`); this dependency only hands it to the handler, so it costs next to nothing on the
API's hot reads (see `make bench-gateway`).
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

from fastapi import Depends, FastAPI, Request

from services.gateway.domain.principal import Principal
from services.gateway.operations.context import Gateway

SECURITY_SCHEME = "ApiKey"


class RequestContext(NamedTuple):
    gw: Gateway
    caller: Principal


async def _context(request: Request) -> RequestContext:
    return RequestContext(request.app.state.gateway, request.state.caller)


Ctx = Annotated[RequestContext, Depends(_context)]


def document_security(app: FastAPI) -> None:
    """Declare the bearer API key in OpenAPI (the "Authorize" button of /docs) for every /v1 route,
    without a per-request dependency: the routes check the key themselves (`http/guard.py`)."""
    generate = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {})
            components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key of your tenant: `Authorization: Bearer gt_<key id>_<secret>`",
            }
            for path, operations in schema["paths"].items():
                if path.startswith("/v1/"):
                    for operation in operations.values():
                        operation["security"] = [{SECURITY_SCHEME: []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
