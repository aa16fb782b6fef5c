"""The REST application: routers assembled in one place, errors as problem+json, health routes."""

from __future__ import annotations

from fastapi import FastAPI

from plumbing.health import Readiness
from plumbing.http_server import health_routes
from services.gateway.http.body_limit import BodySizeLimit
from services.gateway.http.deps import document_security
from services.gateway.http.docs import mount_docs
from services.gateway.http.problems import install_problem_handlers
from services.gateway.http.routes import activities, admin, auth, crm, feed, keys, me, scores
from services.gateway.http.web import mount_web
from services.gateway.operations.context import Gateway

DESCRIPTION = """Passive CRM activity capture and honest adoption diagnostics.

Authenticate every request with an API key of your tenant: `Authorization: Bearer gt_...`.
Errors are `application/problem+json`. See docs/api.md for roles, limits, idempotency and the feed.
"""


def create_app(*, gateway: Gateway, readiness: Readiness, max_body_bytes: int) -> FastAPI:
    app = FastAPI(
        title="Groundtruth API",
        version="1.0.0",
        description=DESCRIPTION,
        docs_url=None,  # served by http/docs.py with local assets (no CDN)
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.gateway = gateway
    # Included straight into the app (no /v1 router around them): each level of nesting costs route
    # matching time on every request. The busiest routes (reads, the feed) come first.
    for router in (
        scores.router,
        feed.router,
        crm.router,
        me.router,
        activities.router,
        admin.router,
        keys.router,
        auth.router,
    ):
        app.include_router(router, prefix="/v1")
    app.router.routes.extend(health_routes(readiness))
    mount_web(app)
    mount_docs(app)
    install_problem_handlers(app)
    document_security(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    return app
