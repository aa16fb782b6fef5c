"""Protobuf messages as REST JSON, and the pydantic models that document them in OpenAPI.

One convention for every message the REST API returns, so REST and gRPC show the same data:
field names as in the proto; enums as their short lower-case names (`CLASSIFICATION_GHOST` ->
`"ghost"`); timestamps as RFC 3339 strings, `null` when unset; unset sub-messages `null`; int64 as
JSON numbers; maps as objects. The models are generated from the descriptors, so the OpenAPI schema
cannot drift from what `to_json` produces.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from types import GenericAlias
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, Field, create_model

_TIMESTAMP = Timestamp.DESCRIPTOR.full_name
_FLOATS = {FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT}
_BOOLS = {FieldDescriptor.TYPE_BOOL}
_STRINGS = {FieldDescriptor.TYPE_STRING}
_models: dict[str, type[BaseModel]] = {}
_model_names: dict[str, str] = {}


def enum_prefix(enum: EnumDescriptor) -> str:
    first = enum.values[0].name
    return first.removesuffix("UNSPECIFIED") if first.endswith("_UNSPECIFIED") else ""


def enum_label(enum: EnumDescriptor, number: int) -> str:
    value = enum.values_by_number.get(number)
    if value is None:
        return f"unknown_{number}"
    return value.name.removeprefix(enum_prefix(enum)).lower()


def enum_number(enum: EnumDescriptor, label: str) -> int | None:
    """The number of a short lower-case enum label, or None when there is no such value."""
    value = enum.values_by_name.get(enum_prefix(enum) + label.upper())
    return value.number if value is not None else None


def to_json(message: Message) -> dict[str, Any]:
    return {name: read(message) for name, read in _plan(message.DESCRIPTOR)}


Reader = Callable[[Any], Any]
_plans: dict[str, list[tuple[str, Reader]]] = {}


def _plan(descriptor: Any) -> list[tuple[str, Reader]]:
    """How to read each field of a message type, worked out once per type (reads are hot)."""
    plan = _plans.get(descriptor.full_name)
    if plan is None:
        plan = _plans[descriptor.full_name] = [(f.name, _reader(f)) for f in descriptor.fields]
    return plan


def _reader(field: FieldDescriptor) -> Reader:
    name = field.name
    convert = _converter(field)
    if _is_map(field):
        convert_value = _converter(_message(field).fields_by_name["value"])
        return lambda m: {k: convert_value(v) for k, v in getattr(m, name).items()}
    if field.is_repeated:
        return lambda m: [convert(v) for v in getattr(m, name)]
    if field.has_presence:
        return lambda m: convert(getattr(m, name)) if m.HasField(name) else None
    return lambda m: convert(getattr(m, name))


def _converter(field: FieldDescriptor) -> Reader:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if _message(field).full_name == _TIMESTAMP:
            return lambda v: v.ToJsonString()
        return to_json
    if field.type == FieldDescriptor.TYPE_ENUM:
        enum = _enum(field)
        labels = {v.number: enum_label(enum, v.number) for v in enum.values}
        return lambda v: labels.get(v) or enum_label(enum, v)
    if field.type in _FLOATS:
        # JSON has no NaN or infinity; the schema marks numbers nullable for this.
        return lambda v: v if math.isfinite(v) else None
    if field.type == FieldDescriptor.TYPE_BYTES:
        return lambda v: v.hex()
    return _identity


def _identity(value: Any) -> Any:
    return value


def _is_map(field: FieldDescriptor) -> bool:
    return bool(field.type == FieldDescriptor.TYPE_MESSAGE and _message(field).GetOptions().map_entry)


def _message(field: FieldDescriptor) -> Descriptor:
    assert field.message_type is not None  # only called for TYPE_MESSAGE fields
    return field.message_type


def _enum(field: FieldDescriptor) -> EnumDescriptor:
    assert field.enum_type is not None  # only called for TYPE_ENUM fields
    return field.enum_type


def model_for(descriptor: Descriptor) -> type[BaseModel]:
    """The pydantic model documenting `to_json` of messages of this type (cached, named uniquely)."""
    cached = _models.get(descriptor.full_name)
    if cached is not None:
        return cached
    fields: dict[str, Any] = {}
    for field in descriptor.fields:
        annotation: Any = _annotation(field)
        if _is_map(field):
            value_field = _message(field).fields_by_name["value"]
            annotation = GenericAlias(dict, (str, _annotation(value_field)))
        elif field.is_repeated:
            annotation = GenericAlias(list, (annotation,))
        elif field.has_presence:
            annotation = annotation | None
        fields[field.name] = (annotation, Field(description=_describe(field)))
    model = create_model(_unique_name(descriptor), __config__=ConfigDict(extra="forbid"), **fields)
    _models[descriptor.full_name] = model
    return model  # type: ignore[no-any-return]


def _annotation(field: FieldDescriptor) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if _message(field).full_name == _TIMESTAMP:
            return datetime
        return model_for(_message(field))
    if field.type == FieldDescriptor.TYPE_ENUM:
        return str
    if field.type in _FLOATS:
        return float | None
    if field.type in _BOOLS:
        return bool
    if field.type in _STRINGS or field.type == FieldDescriptor.TYPE_BYTES:
        return str
    return int


def _describe(field: FieldDescriptor) -> str | None:
    if field.type == FieldDescriptor.TYPE_ENUM:
        enum = _enum(field)
        labels = [v.name.removeprefix(enum_prefix(enum)).lower() for v in enum.values]
        return "one of: " + ", ".join(labels)
    return None


def _unique_name(descriptor: Descriptor) -> str:
    name = descriptor.name
    taken_by = _model_names.get(name)
    if taken_by is not None and taken_by != descriptor.full_name:
        area = descriptor.full_name.split(".")[1].capitalize()
        name = f"{area}{descriptor.name}"
    _model_names[name] = descriptor.full_name
    return name
