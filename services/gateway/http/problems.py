"""Every REST error as `application/problem+json` (RFC 9457) with a message a person can act on."""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match

from plumbing.db.pool import is_transient_db_error
from services.gateway.errors import (
    Conflict,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UpstreamUnavailable,
)
from services.gateway.http.schemas.problem import Problem

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


def _documented(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


# Documented on every route, so clients (and schemathesis) know every status the API can answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("the request breaks a rule; `detail` says which"),
    401: _documented("no API key, or a malformed, unknown or revoked one"),
    403: _documented("the key's role or scope does not allow this"),
    404: _documented("nothing by that id in your tenant"),
    409: _documented("conflicts with the current state (version, in-flight Idempotency-Key, last admin key)"),
    413: _documented("the request body is larger than allowed"),
    422: _documented("the request is not valid; `errors` lists each problem"),
    429: _documented("rate limit exceeded; retry after the Retry-After header's seconds"),
    500: _documented("unexpected error; it has been logged"),
    503: _documented("a backing service is unavailable; retry shortly"),
}


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path."""
    scope = {**request.scope, "method": "\x00"}  # a method no route takes: path-only matches
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the methods of the first route matching the path; a resource
            # served by several routes (GET and PUT /v1/admin/config) takes all of theirs.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem(exc.status_code, str(exc.detail), headers=headers)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors[:10])
        return problem(422, f"the request is not valid: {summary}", errors=errors[:100])

    def status_for(status: int) -> Any:
        async def handler(_: Request, exc: Exception) -> JSONResponse:
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return problem(status, str(exc), headers=headers)

        return handler

    async def rate_limited(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RateLimited)
        retry_after = max(1, math.ceil(exc.retry_after_sec))
        return problem(429, str(exc), headers={"Retry-After": str(retry_after)})

    async def unavailable(_: Request, exc: Exception) -> JSONResponse:
        _log.warning("upstream unavailable", extra={"error": str(exc)})
        return problem(
            503, f"a backing service is unavailable; retry shortly ({exc})", headers={"Retry-After": "2"}
        )

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        if is_transient_db_error(exc):
            _log.warning("database unavailable", extra={"error": repr(exc)})
            return problem(503, "the database is unavailable; retry shortly", headers={"Retry-After": "2"})
        _log.exception("unhandled error", exc_info=exc)
        return problem(500, "unexpected error; it has been logged")

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(InvalidRequest, status_for(400))
    app.add_exception_handler(Unauthenticated, status_for(401))
    app.add_exception_handler(PermissionDenied, status_for(403))
    app.add_exception_handler(NotFound, status_for(404))
    app.add_exception_handler(Conflict, status_for(409))
    app.add_exception_handler(IdempotencyKeyReused, status_for(422))
    app.add_exception_handler(RateLimited, rate_limited)
    app.add_exception_handler(UpstreamUnavailable, unavailable)
    app.add_exception_handler(Exception, unexpected)
