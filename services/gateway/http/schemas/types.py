"""Shared request field types. Each accepts only its JSON type: no number read as a date, no "12" read as
a number, no "yes" read as true. What the OpenAPI schema says is what the API accepts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
)

from services.gateway.domain.identifiers import REP_ID_PATTERN


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a string")  # pydantic reports it as a validation error (422)
    return value


IsoDate = Annotated[date, BeforeValidator(_text_only)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_only)]
Number = StrictFloat
Integer = StrictInt
Boolean = StrictBool

Name = Annotated[str, Field(min_length=1, max_length=255)]
RepId = Annotated[str, Field(pattern=REP_ID_PATTERN)]


class StrictModel(BaseModel):
    """A request body that refuses fields it does not know (422), so a typo is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")
