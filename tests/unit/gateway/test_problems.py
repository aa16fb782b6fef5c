from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.gateway.errors import Conflict, RateLimited
from services.gateway.http.problems import install_problem_handlers


def app() -> FastAPI:
    application = FastAPI()
    install_problem_handlers(application)

    @application.get("/database-down")
    async def database_down() -> None:
        raise ConnectionRefusedError("connect call failed")

    @application.get("/bug")
    async def bug() -> None:
        raise KeyError("oops")

    @application.get("/limited")
    async def limited() -> None:
        raise RateLimited(0.2)

    @application.get("/conflict")
    async def conflict() -> None:
        raise Conflict("stale version")

    return application


async def test_errors_become_problems_with_the_right_status() -> None:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        down = await client.get("/database-down")
        bug = await client.get("/bug")
        limited = await client.get("/limited")
        conflict = await client.get("/conflict")
    assert down.status_code == 503 and down.headers["Retry-After"] == "2"
    assert bug.status_code == 500 and "oops" not in bug.text  # no internals leak
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert conflict.status_code == 409 and conflict.json()["detail"] == "stale version"
    for response in (down, bug, limited, conflict):
        assert response.headers["content-type"] == "application/problem+json"
