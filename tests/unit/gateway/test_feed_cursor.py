"""Signed feed cursors and page tokens (services/gateway/domain/cursors.py)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.domain.cursors import (
    FEED_CURSOR_PATTERN,
    PAGE_TOKEN_PATTERN,
    CursorSigner,
    derive_cursor_key,
)
from services.gateway.domain.feed import next_position
from services.gateway.errors import InvalidRequest

SIGNER = CursorSigner(b"k" * 32)
OTHER_KEY = CursorSigner(b"x" * 32)
ACME = {"tenant_id": "acme", "subscription": "default"}


@given(st.integers(0, 2**63 - 1))
def test_cursors_round_trip(sequence: int) -> None:
    cursor = SIGNER.feed_cursor(**ACME, sequence=sequence)
    assert SIGNER.feed_position(cursor, **ACME) == sequence
    import re

    assert re.fullmatch(FEED_CURSOR_PATTERN[1:-1], cursor)


def _legacy(sequence: int) -> str:
    """The unsigned cursor of earlier versions: base64 of `feed:N`."""
    return base64.urlsafe_b64encode(f"feed:{sequence}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["", "!!", "c1.", _legacy(10_000), "c1." + "A" * 32, SIGNER.feed_cursor(**ACME, sequence=5) + "x"],
)
def test_made_up_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidRequest):
        SIGNER.feed_position(cursor, **ACME)


def test_a_cursor_belongs_to_its_tenant_subscription_and_key() -> None:
    cursor = SIGNER.feed_cursor(**ACME, sequence=7)
    for tenant, subscription in (("globex", "default"), ("acme", "salesforce")):
        with pytest.raises(InvalidRequest):
            SIGNER.feed_position(cursor, tenant_id=tenant, subscription=subscription)
    with pytest.raises(InvalidRequest):
        OTHER_KEY.feed_position(cursor, **ACME)


@given(st.integers(0, 2**63 - 1), st.integers(0, 23), st.integers(1, 255))
def test_any_tampered_byte_is_refused(sequence: int, index: int, flip: int) -> None:
    """Moving a cursor forward (or changing anything in it) breaks the MAC: an ack cannot skip
    activities the subscription was never served."""
    cursor = SIGNER.feed_cursor(**ACME, sequence=sequence)
    raw = bytearray(base64.urlsafe_b64decode(cursor[3:] + "=="))
    raw[index] ^= flip
    forged = "c1." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(InvalidRequest):
        SIGNER.feed_position(forged, **ACME)


def test_page_tokens_wrap_the_upstream_token_for_one_listing() -> None:
    token = SIGNER.page_token("MTcwMHxhY3QtMQ", tenant_id="acme", listing="activities\x00rep-1")
    import re

    assert re.fullmatch(PAGE_TOKEN_PATTERN[1:-1], token)
    assert SIGNER.page_position(token, tenant_id="acme", listing="activities\x00rep-1") == "MTcwMHxhY3QtMQ"
    for tenant, listing in (("globex", "activities\x00rep-1"), ("acme", "activities\x00rep-2")):
        with pytest.raises(InvalidRequest):
            SIGNER.page_position(token, tenant_id=tenant, listing=listing)
    with pytest.raises(InvalidRequest):
        SIGNER.page_position("MTcwMHxhY3QtMQ", tenant_id="acme", listing="activities\x00rep-1")
    assert SIGNER.page_token("", tenant_id="acme", listing="x") == ""
    assert SIGNER.page_position("", tenant_id="acme", listing="x") == ""


def test_the_derived_key_is_not_the_pepper() -> None:
    assert derive_cursor_key(b"pepper" * 4) != b"pepper" * 4
    assert len(derive_cursor_key(b"pepper" * 4)) == 32


def test_position_never_goes_back() -> None:
    assert next_position(10, 0, []) == 10
    assert next_position(10, 12, [11, 12]) == 12
    assert next_position(10, 9, [14]) == 14
