"""FastAPI dependencies as typed aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from services.gateway.adapters.scoring_client import ScoringClient
from services.gateway.identifiers import TENANT_ID_PATTERN


def _scoring(request: Request) -> ScoringClient:
    client: ScoringClient = request.app.state.scoring
    return client


def _tenant(
    x_tenant_id: Annotated[
        str,
        Header(
            pattern=TENANT_ID_PATTERN,
            description="Tenant of the caller. Interim: replaced by the tenant of the caller's API key.",
        ),
    ],
) -> str:
    return x_tenant_id


Scoring = Annotated[ScoringClient, Depends(_scoring)]
TenantId = Annotated[str, Depends(_tenant)]
