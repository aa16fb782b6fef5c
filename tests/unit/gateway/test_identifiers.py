from __future__ import annotations

import pytest

from services.gateway.domain.identifiers import is_rep_id, is_tenant_id


@pytest.mark.parametrize("value", ["acme", "acme-eu.1", "A1"])
def test_accepts_tenant_ids(value: str) -> None:
    assert is_tenant_id(value)


@pytest.mark.parametrize("value", ["", "-acme", "acme:eu", "a" * 65, "acme eu", "ac/me"])
def test_rejects_tenant_ids(value: str) -> None:
    assert not is_tenant_id(value)


@pytest.mark.parametrize("value", ["rep-1", "ann@acme.example", "005Hs00000AbCdE", "x+y@z"])
def test_accepts_rep_ids(value: str) -> None:
    assert is_rep_id(value)


@pytest.mark.parametrize("value", ["", " rep", "rep 1", "rep/1", "r" * 129, "@rep"])
def test_rejects_rep_ids(value: str) -> None:
    assert not is_rep_id(value)
