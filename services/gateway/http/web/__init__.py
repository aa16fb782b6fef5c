"""The web pages (manager dashboard, rep view, sign-in): static files served by the gateway at /app/.

No build step: plain HTML, CSS and ES modules that call the public REST API like any other client,
with the caller's short-lived token. The pages hold no data and no secrets, so they are served to
anyone; every number on them comes from an authenticated /v1 call.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
MOUNT_PATH = "/app"
# Scripts and styles only from our own origin, no inline code, no framing: the page handles a token.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class _PageFiles(StaticFiles):
    """Static files with the security headers above; `no-cache` so a new release shows at once."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


async def _to_app(_: object) -> RedirectResponse:
    return RedirectResponse(f"{MOUNT_PATH}/", status_code=307)


FAVICON = (STATIC / "favicon.svg").read_bytes()


async def _favicon(_: object) -> Response:
    """Browsers ask for /favicon.ico whatever the page links: the same icon, never a 404."""
    headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=86400"}
    return Response(FAVICON, media_type="image/svg+xml", headers=headers)


def mount_web(app: FastAPI) -> None:
    """Serve the pages at /app/ (and their icon at /favicon.ico) and send / there; /v1 is untouched."""
    app.router.routes.append(Route("/", _to_app, include_in_schema=False))
    app.router.routes.append(Route("/favicon.ico", _favicon, include_in_schema=False))
    app.router.routes.append(Mount(MOUNT_PATH, _PageFiles(directory=STATIC, html=True), name="web"))
