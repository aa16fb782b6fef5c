from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.scoring.domain.paging import InvalidPageToken, decode_page_token, encode_page_token


def test_round_trip_keeps_microseconds_and_ids_with_separators() -> None:
    moment = datetime(2026, 11, 2, 9, 30, 1, 123456, tzinfo=UTC)
    assert decode_page_token(encode_page_token(moment, "a|b")) == (moment, "a|b")


@pytest.mark.parametrize(
    "token", ["!!", "bm9wZQ", "", "MTIz"], ids=["not base64", "no separator", "empty", "no id"]
)
def test_foreign_tokens_are_rejected(token: str) -> None:
    with pytest.raises(InvalidPageToken):
        decode_page_token(token)
