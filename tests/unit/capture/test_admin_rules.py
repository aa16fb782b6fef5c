"""Admin input rules and secrets at rest, without infrastructure."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from services.capture.adapters.secret_box import SecretBox
from services.capture.domain import validation as check
from services.capture.ports import SecretsUnavailable


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("Ann.Lee@Acme.Example", "ann.lee@acme.example", id="lower-cased"),
        pytest.param(" ann@acme.example ", "ann@acme.example", id="trimmed"),
        pytest.param(
            "8A2E1D4C-0000-4000-8000-000000000001", "8a2e1d4c-0000-4000-8000-000000000001", id="user id"
        ),
    ],
)
def test_mailbox_addresses(value: str, expected: str) -> None:
    assert check.mailbox_address(value) == expected


@pytest.mark.parametrize("value", ["", "ann", "ann@", "@acme.example", "ann@acme", "a b@acme.example"])
def test_bad_mailbox_addresses(value: str) -> None:
    with pytest.raises(check.Invalid):
        check.mailbox_address(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("contoso.onmicrosoft.com", True, id="domain"),
        pytest.param("72F988BF-86F1-41AF-91AB-2D7CD011DB47", True, id="guid"),
        pytest.param("common", False, id="no multi-tenant authority"),
        pytest.param("https://login.microsoftonline.com/x", False, id="url"),
    ],
)
def test_directory_tenant_ids(value: str, ok: bool) -> None:
    if ok:
        assert check.directory_tenant_id(value) == value.lower()
    else:
        with pytest.raises(check.Invalid):
            check.directory_tenant_id(value)


def test_domain_lists_are_normalized_deduplicated_and_bounded() -> None:
    assert check.domains(["@Acme.example", "acme.example.", "b.example"], "f") == [
        "acme.example",
        "b.example",
    ]
    with pytest.raises(check.Invalid):
        check.domains([f"d{i}.example" for i in range(check.MAX_LIST + 1)], "f")


def test_secret_box_round_trips_rotates_and_refuses_without_keys() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = SecretBox(SecretStr(old)).seal({"client_secret": "s3cret"})
    assert b"s3cret" not in sealed
    rotated = SecretBox(SecretStr(f"{new},{old}"))
    assert rotated.open(sealed) == {"client_secret": "s3cret"}
    with pytest.raises(SecretsUnavailable):
        SecretBox(SecretStr(new)).open(sealed)
    with pytest.raises(SecretsUnavailable):
        SecretBox(None).seal({"x": "y"})
    with pytest.raises(ValueError, match="Fernet"):
        SecretBox(SecretStr("not-a-key"))
