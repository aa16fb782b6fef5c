"""The REST application: routers assembled in one place, errors as problem+json, health routes."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from plumbing.health import Readiness
from plumbing.http_server import health_routes
from services.gateway.adapters.scoring_client import ScoringClient
from services.gateway.problems import install_problem_handlers
from services.gateway.routes import activities


def create_app(*, scoring: ScoringClient, readiness: Readiness) -> FastAPI:
    app = FastAPI(
        title="Groundtruth API",
        version="1.0.0",
        description="Passive CRM activity capture and honest adoption diagnostics.",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.scoring = scoring
    v1 = APIRouter(prefix="/v1")
    v1.include_router(activities.router)
    app.include_router(v1)
    app.router.routes.extend(health_routes(readiness))
    install_problem_handlers(app)
    return app
