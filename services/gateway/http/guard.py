"""Access is decided before anything else of a request is read.

Every `/v1` route is a `GuardedRoute` declaring the use case it runs (`guarded_by(keys.create_key)`
in the route's `openapi_extra`). Before FastAPI reads the body or validates a parameter, the route
authenticates the caller (401), checks the role against the use case's capability (403) and
refuses unknown or repeated query parameters (422); only then does the handler parse the request.
So a key of the wrong role gets 403 whatever its body, never a 422 describing what a valid body
would be, and a body is never parsed for an unauthenticated caller.

The capability is also published in the OpenAPI document (`x-groundtruth-capability`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from services.gateway.http.strict_query import reject_unknown_query
from services.gateway.operations.context import Gateway
from services.gateway.operations.scope import authorize, capability_of

CAPABILITY = "x-groundtruth-capability"


def guarded_by(use_case: Callable[..., object]) -> dict[str, Any]:
    """`openapi_extra` of a route that runs `use_case` (a `@scoped` operation)."""
    return {CAPABILITY: capability_of(use_case)}


class GuardedRoute(APIRoute):
    """An `APIRoute` that authenticates and authorizes before the handler reads the request."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        capability = (kwargs.get("openapi_extra") or {}).get(CAPABILITY)
        if not isinstance(capability, str):
            raise TypeError(f"route {path} declares no use case: add openapi_extra=guarded_by(...)")
        self.capability = capability  # before APIRoute builds the handler
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        capability = self.capability

        async def guarded(request: Request) -> Response:
            gateway: Gateway = request.app.state.gateway
            caller = await gateway.credentials.authenticate(request.headers.get("authorization"))
            authorize(caller, capability)
            await reject_unknown_query(request)
            request.state.caller = caller
            return await handler(request)

        return guarded
