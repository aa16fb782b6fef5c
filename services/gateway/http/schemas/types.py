"""Shared request field types. Each accepts only its JSON type: no number read as a date, no "12" read as
a number, no "yes" read as true. What the OpenAPI schema says is what the API accepts: every string
type carries the pattern and length the server checks, and the text rules of
`plumbing/contracts/text.py` (no NUL, no control characters, no lone surrogate, one line unless the
field is free text), so a string nobody downstream could store is a 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
)

from plumbing.contracts.text import FILLED_LINE_PATTERN, LINE_PATTERN, TEXT_PATTERN
from services.gateway.domain.identifiers import (
    DOMAIN_PATTERN,
    EMAIL_PATTERN,
    ISO_DATE_PATTERN,
    MAX_DOMAIN_CHARS,
    MAX_EMAIL_CHARS,
    REP_ID_PATTERN,
    is_iso_date,
)


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a string")  # pydantic reports it as a validation error (422)
    return value


def _real_day(value: str) -> str:
    if not is_iso_date(value):
        raise ValueError("must be a day that exists, as yyyy-mm-dd")
    return value


def _day_text_only(value: Any) -> Any:
    # pydantic's lax date also takes "2026-10-01T00:00:00" (a midnight datetime): a day is yyyy-mm-dd.
    if not isinstance(value, str) or not is_iso_date(value):
        raise ValueError("must be a day that exists, as yyyy-mm-dd")
    return value


IsoDate = Annotated[
    date, BeforeValidator(_day_text_only), Field(json_schema_extra={"pattern": ISO_DATE_PATTERN})
]
# A day as text (query parameters): a malformed one and one that does not exist (2026-02-30) are
# the same error, 422.
IsoDateText = Annotated[
    str, Field(pattern=ISO_DATE_PATTERN, json_schema_extra={"format": "date"}), AfterValidator(_real_day)
]
Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_only)]
Number = StrictFloat


def _integral(value: Any) -> Any:
    # JSON has one number type: 28.0 is the integer 28 (JSON Schema's "integer" says so too); a
    # string, a boolean or 28.5 is not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integer = Annotated[StrictInt, BeforeValidator(_integral)]


def bounded_integer(*, ge: int, le: int) -> Any:
    """An Integer within ge..le whose bounds the JSON schema states (as minimum and maximum): the
    bounds must come before the validator, or pydantic writes them as unknown keywords."""
    return Annotated[StrictInt, Field(ge=ge, le=le), BeforeValidator(_integral)]


Boolean = StrictBool


# One line of text (identifiers, names, labels) and free text (tabs and line breaks allowed).
Name = Annotated[str, Field(min_length=1, max_length=255, pattern=FILLED_LINE_PATTERN)]
Id255 = Name  # a CRM id: one line, not blank
Line64 = Annotated[str, Field(max_length=64, pattern=LINE_PATTERN)]
Line200 = Annotated[str, Field(max_length=200, pattern=LINE_PATTERN)]
Line255 = Annotated[str, Field(max_length=255, pattern=LINE_PATTERN)]
Text10k = Annotated[str, Field(max_length=10_000, pattern=TEXT_PATTERN)]
Pem = Annotated[str, Field(min_length=1, max_length=16_384, pattern=TEXT_PATTERN)]
RepId = Annotated[str, Field(pattern=REP_ID_PATTERN)]
Domain = Annotated[str, Field(max_length=MAX_DOMAIN_CHARS, pattern=DOMAIN_PATTERN, examples=["acme.example"])]
Email = Annotated[
    str, Field(max_length=MAX_EMAIL_CHARS, pattern=EMAIL_PATTERN, examples=["ann@acme.example"])
]
# An e-mail address, or "" for none.
OptionalEmail = Annotated[
    str,
    Field(max_length=MAX_EMAIL_CHARS, pattern=f"^(?:{EMAIL_PATTERN[1:-1]})?$", examples=["ann@acme.example"]),
]


class StrictModel(BaseModel):
    """A request body that refuses fields it does not know (422), so a typo is reported, not ignored."""

    model_config = ConfigDict(extra="forbid")


def exactly_one_of(*names: str) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` for a model that takes exactly one of the optional fields `names`: the
    schema requires one of them and none of them is nullable (the model's validator says the same)."""

    def extra(schema: dict[str, Any]) -> None:
        properties = schema.get("properties", {})
        for name in names:
            branches = properties.get(name, {}).get("anyOf")
            if branches:
                kept = [b for b in branches if b.get("type") != "null"]
                properties[name] = {
                    k: v for k, v in properties[name].items() if k not in ("anyOf", "default")
                }
                properties[name].update(kept[0] if len(kept) == 1 else {"anyOf": kept})
        schema["oneOf"] = [{"required": [name]} for name in names]

    return extra


def check_exactly_one_of(model: BaseModel, *names: str) -> None:
    """The validator side of `exactly_one_of` (mode="after", so every field's own error comes
    first): 422 unless exactly one is given, and none is an explicit null."""
    if any(name in model.model_fields_set and getattr(model, name) is None for name in names):
        raise ValueError(f"{' and '.join(names)} are never null: leave out the one you do not give")
    if sum(getattr(model, name) is not None for name in names) != 1:
        raise ValueError(f"give exactly one of {', '.join(names)}")
