"""The embedded broker's cluster id never looks like an option to Kafka's storage tool."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from plumbing.embedded.kafka import broker

# 0xF8 makes the first base64 character "-" (index 62), 0x00 makes it "A".
_DASH_FIRST = uuid.UUID(bytes=b"\xf8" + bytes(15))
_PLAIN = uuid.UUID(bytes=bytes(16))


def test_an_id_starting_with_a_dash_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    draws: Iterator[uuid.UUID] = iter([_DASH_FIRST, _DASH_FIRST, _PLAIN])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(draws))

    assert broker.new_cluster_id() == "AAAAAAAAAAAAAAAAAAAAAA"


def test_ids_are_kafka_shaped() -> None:
    for _ in range(2000):
        cluster_id = broker.new_cluster_id()
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
