"""The text rules (`text.py`) applied to every string of a protobuf message, wherever it is nested.

The edges run it on what a client sent before anything else looks at it (the gateway's gRPC methods
and CRM ingest), so a NUL or a control character in any field, known to the edge's own checks or
not, is refused naming the field instead of reaching a consumer that cannot store it.
"""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from plumbing.contracts.text import text_problem

_STRING = FieldDescriptor.TYPE_STRING
_MESSAGE = FieldDescriptor.TYPE_MESSAGE


def text_problems(message: Message, *, prefix: str = "") -> list[str]:
    """`<field path> <problem>` for every string of `message` that breaks the text rules."""
    return [f"{path} {problem}" for path, problem in _walk(message, prefix)]


def _walk(message: Message, prefix: str) -> Iterator[tuple[str, str]]:
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key_field, value_field = (
                field.message_type.fields_by_name["key"],
                field.message_type.fields_by_name["value"],
            )
            for key, item in value.items():
                if key_field.type == _STRING:
                    yield from _check(f"{path} key", key)
                if value_field.type == _STRING:
                    yield from _check(f"{path}[{str(key)[:64]!r}]", item)
                elif value_field.type == _MESSAGE:
                    yield from _walk(item, f"{path}[{str(key)[:64]!r}].")
        elif field.is_repeated:
            for index, item in enumerate(value):
                if field.type == _STRING:
                    yield from _check(f"{path}[{index}]", item)
                elif field.type == _MESSAGE:
                    yield from _walk(item, f"{path}[{index}].")
        elif field.type == _STRING:
            yield from _check(path, value)
        elif field.type == _MESSAGE:
            yield from _walk(value, f"{path}.")


def _check(path: str, value: str) -> Iterator[tuple[str, str]]:
    problem = text_problem(value)
    if problem is not None:
        yield path, problem
