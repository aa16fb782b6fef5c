"""Request field types that accept only their JSON type: no number read as a date, no "12" read as
a number, no "yes" read as true. What the OpenAPI schema says is what the API accepts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, StrictBool, StrictFloat, StrictInt


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a string")  # pydantic reports it as a validation error (422)
    return value


IsoDate = Annotated[date, BeforeValidator(_text_only)]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_only)]
Number = StrictFloat
Integer = StrictInt
Boolean = StrictBool
