"""FastAPI dependencies as typed aliases: the gateway's dependencies and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.gateway.domain.principal import Principal
from services.gateway.operations.context import Gateway

# Declares the scheme in OpenAPI (the "Authorize" button of /docs); the key itself is checked below,
# so a missing or malformed header gets the same problem+json 401 as an unknown key.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key of your tenant: `Authorization: Bearer gt_<key id>_<secret>`",
)


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def _caller(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    gateway: Gateway = request.app.state.gateway
    return await gateway.authenticator.authenticate(request.headers.get("authorization"))


GatewayDep = Annotated[Gateway, Depends(_gateway)]
Caller = Annotated[Principal, Depends(_caller)]
