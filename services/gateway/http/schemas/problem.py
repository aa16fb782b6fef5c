"""The RFC 9457 problem document every REST error is answered with (see `http/problems.py`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ProblemError(BaseModel):
    location: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; `detail` says what was wrong in words a person can act on."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = None
