"""Conventions for records on every topic: keys, content-type header, protobuf payloads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from aiokafka.structs import ConsumerRecord
from google.protobuf.message import Message

CONTENT_TYPE_HEADER = "content-type"
Headers = Sequence[tuple[str, bytes]]
# A fetched record; keys and values stay bytes (no deserializers), decoding is the service's step.
Record: TypeAlias = ConsumerRecord[bytes, bytes]


def record_key(tenant_id: str, rep_id: str) -> bytes:
    """`tenant_id:rep_id`, so one rep's events stay ordered on one partition."""
    return f"{tenant_id}:{rep_id}".encode()


def content_type(message: Message) -> bytes:
    return f"application/x-protobuf; messageType={message.DESCRIPTOR.full_name}".encode()


def protobuf_headers(message: Message) -> list[tuple[str, bytes]]:
    return [(CONTENT_TYPE_HEADER, content_type(message))]


def header(headers: Headers | None, name: str) -> bytes | None:
    for key, value in headers or ():
        if key.lower() == name:
            return value
    return None
