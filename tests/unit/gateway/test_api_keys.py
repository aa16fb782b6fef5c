from __future__ import annotations

import pytest

from services.gateway.domain import api_keys

PEPPER = b"pepper-for-unit-tests"


def test_generated_keys_verify_and_are_unique() -> None:
    first, second = api_keys.generate(PEPPER), api_keys.generate(PEPPER)
    assert first.key_id != second.key_id and first.plaintext != second.plaintext
    presented = api_keys.parse(first.plaintext)
    assert presented is not None and presented.key_id == first.key_id
    assert api_keys.verify(PEPPER, presented, first.secret_hash)
    assert first.plaintext.startswith(f"gt_{first.key_id}_")
    assert first.secret_hash != presented.secret.encode()  # stored hashed, never in clear


def test_a_hash_does_not_verify_another_key_or_pepper() -> None:
    key, other = api_keys.generate(PEPPER), api_keys.generate(PEPPER)
    presented = api_keys.parse(key.plaintext)
    assert presented is not None
    assert not api_keys.verify(PEPPER, presented, other.secret_hash)  # hash moved to another row
    assert not api_keys.verify(b"another-pepper", presented, key.secret_hash)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("gt_short_x", id="too short"),
        pytest.param("xx_abcdefghijklmnop_" + "a" * 43, id="wrong prefix"),
        pytest.param("gt_ABCDEFGHIJKLMNOP_" + "a" * 43, id="upper-case key id"),
        pytest.param("gt_abcdefghijklmnop_" + "a" * 42, id="secret too short"),
        pytest.param("gt_abcdefghijklmnop_" + "a" * 42 + "!", id="bad character"),
    ],
)
def test_malformed_keys_do_not_parse(value: str) -> None:
    assert api_keys.parse(value) is None
