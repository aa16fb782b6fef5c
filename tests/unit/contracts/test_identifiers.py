"""Identifier shapes shared by the gateway, capture and scoring (plumbing/contracts/identifiers.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plumbing.contracts import identifiers as ids

PATTERNS = {
    ids.is_tenant_id: ids.TENANT_ID_PATTERN,
    ids.is_rep_id: ids.REP_ID_PATTERN,
    ids.is_team_id: ids.TEAM_ID_PATTERN,
    ids.is_subscription: ids.SUBSCRIPTION_PATTERN,
    ids.is_connection_id: ids.CONNECTION_ID_PATTERN,
    ids.is_client_id: ids.CLIENT_ID_PATTERN,
    ids.is_role: ids.ROLE_PATTERN,
}


@pytest.mark.parametrize("check", list(PATTERNS))
def test_a_trailing_newline_is_never_part_of_an_id(check: object) -> None:
    assert callable(check)
    assert not check("abc\n") and not check("abc\x00")


@pytest.mark.parametrize(("check", "pattern"), list(PATTERNS.items()))
@given(value=st.text(max_size=140))
def test_the_check_is_the_published_pattern(check: object, pattern: str, value: str) -> None:
    """The OpenAPI document publishes the pattern; a JSON Schema pattern matches the whole string
    only with its anchors, which `$` in Python would stretch to a trailing newline."""
    assert callable(check)
    assert check(value) == (re.fullmatch(pattern[1:-1], value) is not None)


@pytest.mark.parametrize("value", ["acme.example", "mail.acme.co.uk", "xn--80ak6aa92e.xn--p1ai", "A.EXAMPLE"])
def test_domains(value: str) -> None:
    assert ids.is_domain(value)


@pytest.mark.parametrize(
    "value",
    ["", "example", "-a.example", "a..example", "a.example.", "a.1", "a" * 64 + ".example", "a b.com"],
)
def test_not_domains(value: str) -> None:
    assert not ids.is_domain(value)


def test_domain_length_is_bounded() -> None:
    long = ".".join(["a" * 60] * 4) + ".com"  # 248 characters
    assert ids.is_domain(long)
    assert not ids.is_domain("a" * 10 + "." + long)


@pytest.mark.parametrize("value", ["ann@acme.example", "o'neil+crm@x.co", "A.B@EXAMPLE.COM"])
def test_emails(value: str) -> None:
    assert ids.is_email(value)


@pytest.mark.parametrize(
    "value", ["", "ann", "@acme.example", "ann@", "ann@@x.com", "an n@x.com", "é@x.com", "ann@x"]
)
def test_not_emails(value: str) -> None:
    assert not ids.is_email(value)


@pytest.mark.parametrize(
    ("value", "ok"), [("2026-02-28", True), ("2026-02-30", False), ("99999-01-01", False)]
)
def test_iso_dates_name_real_days(value: str, ok: bool) -> None:
    assert ids.is_iso_date(value) is ok
