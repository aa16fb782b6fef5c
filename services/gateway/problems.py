"""Every REST error as `application/problem+json` (RFC 9457) with a message a person can act on."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from services.gateway.errors import InvalidRequest, NotFound, Unauthenticated, UpstreamUnavailable

_log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        return problem(422, f"the request is not valid: {summary}", errors=errors)

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        return problem(400, str(exc))

    async def not_found(_: Request, exc: Exception) -> JSONResponse:
        return problem(404, str(exc))

    async def unauthenticated(_: Request, exc: Exception) -> JSONResponse:
        return problem(401, str(exc), headers={"WWW-Authenticate": "Bearer"})

    async def unavailable(_: Request, exc: Exception) -> JSONResponse:
        _log.warning("upstream unavailable", extra={"error": str(exc)})
        return problem(503, "a backing service is unavailable; retry shortly", headers={"Retry-After": "2"})

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        _log.exception("unhandled error", exc_info=exc)
        return problem(500, "unexpected error; it has been logged")

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(InvalidRequest, invalid)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.add_exception_handler(UpstreamUnavailable, unavailable)
    app.add_exception_handler(Exception, unexpected)
