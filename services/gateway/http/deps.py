"""The one FastAPI dependency every route takes: the gateway and the authenticated caller.

A single dependency (rather than one for the gateway, one for the key, one for the query check)
because each dependency costs a resolution on every request, and the API's reads should cost
little more than the upstream call behind them (see `make bench-gateway`).
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

from fastapi import Depends, FastAPI, Request

from services.gateway.domain.principal import Principal
from services.gateway.http.strict_query import reject_unknown_query
from services.gateway.operations.context import Gateway

SECURITY_SCHEME = "ApiKey"


class RequestContext(NamedTuple):
    gw: Gateway
    caller: Principal


async def _context(request: Request) -> RequestContext:
    gateway: Gateway = request.app.state.gateway
    caller = await gateway.credentials.authenticate(request.headers.get("authorization"))
    await reject_unknown_query(request)
    return RequestContext(gateway, caller)


Ctx = Annotated[RequestContext, Depends(_context)]


def document_security(app: FastAPI) -> None:
    """Declare the bearer API key in OpenAPI (the "Authorize" button of /docs) for every /v1 route,
    without a per-request dependency: `_context` checks the key itself."""
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
