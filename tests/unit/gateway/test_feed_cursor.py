from __future__ import annotations

import pytest

from services.gateway.domain.feed import decode_cursor, encode_cursor, next_position
from services.gateway.errors import InvalidRequest


@pytest.mark.parametrize("sequence", [0, 1, 42, 2**63 - 1])
def test_cursors_round_trip(sequence: int) -> None:
    assert decode_cursor(encode_cursor(sequence)) == sequence


@pytest.mark.parametrize("cursor", ["", "!!", "bm9wZQ", encode_cursor(0) + "x", "ZmVlZDotMQ"])
def test_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidRequest):
        decode_cursor(cursor)


def test_position_never_goes_back() -> None:
    assert next_position(10, 0, []) == 10
    assert next_position(10, 12, [11, 12]) == 12
    assert next_position(10, 9, [14]) == 14
