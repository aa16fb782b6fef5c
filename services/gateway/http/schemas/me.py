"""What a rep or manager key writes about its own rep (`PUT /v1/me/exclusions`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from services.gateway.http.schemas.types import Domain, Email, StrictModel


class ExclusionsIn(StrictModel):
    """The rep's own exclusions (a PUT replaces them): people and domains never to capture."""

    excluded_addresses: Annotated[list[Email], Field(max_length=1_000)] = Field(default_factory=list)
    excluded_domains: Annotated[list[Domain], Field(max_length=1_000)] = Field(default_factory=list)
