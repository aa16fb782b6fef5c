from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.domain import tokens
from services.gateway.domain.principal import Principal, Role

KEY = b"k" * 32
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REP = Principal(tenant_id="acme", key_id="abcdefghijklmnop", role=Role.REP, rep_id="rep-1")


def _issue(principal: Principal = REP, *, key: bytes = KEY, ttl_sec: int = 900) -> str:
    return tokens.issue(key, principal, now=NOW, ttl_sec=ttl_sec).token


@pytest.mark.parametrize(
    "principal",
    [
        pytest.param(REP, id="rep"),
        pytest.param(Principal("acme", "abcdefghijklmnop", Role.MANAGER, "mgr-1"), id="manager"),
        pytest.param(Principal("acme", "abcdefghijklmnop", Role.ADMIN), id="admin without rep"),
    ],
)
def test_a_token_carries_its_principal_until_it_expires(principal: Principal) -> None:
    issued = tokens.issue(KEY, principal, now=NOW, ttl_sec=900)
    assert issued.expires_at == NOW + timedelta(seconds=900)
    assert issued.token.startswith("gtt_") and tokens.looks_like_token(issued.token)
    assert tokens.verify(KEY, issued.token, now=NOW + timedelta(seconds=899)) == principal


@pytest.mark.parametrize(
    "later",
    [pytest.param(timedelta(seconds=900), id="at expiry"), pytest.param(timedelta(days=1), id="a day later")],
)
def test_an_expired_token_is_refused(later: timedelta) -> None:
    with pytest.raises(tokens.InvalidToken, match="expired"):
        tokens.verify(KEY, _issue(), now=NOW + later)


def test_a_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify(b"another-signing-key-0123456789abc", _issue(), now=NOW)


def _reencoded(token: str, change: dict[str, object]) -> str:
    payload, signature = token.removeprefix("gtt_").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(change)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"gtt_{forged}.{signature}"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"r": "admin"}, id="role raised"),
        pytest.param({"t": "globex"}, id="other tenant"),
        pytest.param({"p": "rep-2"}, id="other rep"),
        pytest.param({"exp": 4_102_444_800}, id="expiry extended"),
    ],
)
def test_a_tampered_payload_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify(KEY, _reencoded(_issue(), change), now=NOW)


def test_a_tampered_signature_is_refused() -> None:
    token = _issue()
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(KEY, flipped, now=NOW)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("gtt_", id="prefix only"),
        pytest.param("gtt_abc", id="no signature"),
        pytest.param("gtt_abc.def", id="short signature"),
        pytest.param("gt_abcdefghijklmnop_" + "a" * 43, id="an API key"),
        pytest.param("gtt_a!b." + "a" * 43, id="bad character"),
    ],
)
def test_malformed_tokens_are_refused(value: str) -> None:
    with pytest.raises(tokens.InvalidToken, match="malformed"):
        tokens.verify(KEY, value, now=NOW)


def test_a_validly_signed_token_of_an_unknown_version_is_refused() -> None:
    payload = base64.urlsafe_b64encode(b'{"v":2}').decode().rstrip("=")
    signature = base64.urlsafe_b64encode(tokens._sign(KEY, payload)).decode().rstrip("=")
    with pytest.raises(tokens.InvalidToken, match="version"):
        tokens.verify(KEY, f"gtt_{payload}.{signature}", now=NOW)


def test_the_derived_signing_key_depends_on_the_pepper_and_is_not_the_pepper() -> None:
    first, second = tokens.derive_signing_key(b"pepper-one-0123456"), tokens.derive_signing_key(b"pepper-two")
    assert first != second and len(first) == 32 and first != b"pepper-one-0123456"


def test_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError, match="ttl_sec"):
        tokens.issue(KEY, REP, now=NOW, ttl_sec=0)
