"""The text rules every edge applies (plumbing/contracts/text.py, messages.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groundtruth.crm.v1 import crm_pb2
from plumbing.contracts.messages import text_problems
from plumbing.contracts.text import LINE_PATTERN, TEXT_PATTERN, is_clean, text_problem

HOSTILE = ["\ud800", "a\udfffb", "\x00", "x\x00y", "\x01", "\x1b[31m", "\x7f", "\x0b", "\x0c"]


@pytest.mark.parametrize("value", HOSTILE)
def test_refused_everywhere(value: str) -> None:
    assert text_problem(value) is not None
    assert text_problem(value, single_line=True) is not None


@pytest.mark.parametrize("value", ["a\tb", "line\nnext", "crlf\r\n"])
def test_tabs_and_line_breaks_only_in_free_text(value: str) -> None:
    assert text_problem(value) is None
    assert text_problem(value, single_line=True) == "holds a tab or line break (one line of text expected)"


def test_the_problem_never_quotes_the_value() -> None:
    problem = text_problem("secret\x00value")
    assert problem == "holds a NUL character" and "secret" not in problem


def test_length() -> None:
    assert text_problem("abc", max_chars=3) is None
    assert text_problem("abcd", max_chars=3) == "is longer than 3 characters"


@given(st.text())
def test_any_valid_unicode_without_controls_is_clean(value: str) -> None:
    """Valid Unicode (hypothesis never draws lone surrogates) is clean exactly when it has no
    control character the rules refuse."""
    refused = {chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
    assert is_clean(value) == (not set(value) & refused)
    value.encode("utf-8")  # what is clean can be stored and serialized


@given(st.text(), st.integers(0xD800, 0xDFFF), st.text())
def test_a_lone_surrogate_anywhere_is_never_clean(before: str, surrogate: int, after: str) -> None:
    assert not is_clean(before + chr(surrogate) + after)
    assert not is_clean(before + chr(surrogate) + after, single_line=True)


def test_patterns_say_the_same_as_the_checks() -> None:
    import re

    for value in [*HOSTILE[2:], "a\tb", "ok", "line\nnext"]:
        assert (re.fullmatch(TEXT_PATTERN[1:-1], value) is not None) == is_clean(value)
        assert (re.fullmatch(LINE_PATTERN[1:-1], value) is not None) == is_clean(value, single_line=True)


def test_every_nested_string_of_a_message_is_checked() -> None:
    event = crm_pb2.CrmEvent(rep_id="rep\x00")
    event.record_upserted.crm_id = "ok"
    event.record_upserted.fields["Name\x01"] = "v"
    event.record_upserted.fields["Stage"] = "v\x00"
    event.record_upserted.domains.append("x\x7f.example")
    event.record_upserted.contact_roles.add(contact_crm_id="c\x02")
    assert sorted(text_problems(event)) == sorted(
        [
            "rep_id holds a NUL character",
            "record_upserted.fields key holds the control character U+0001",
            "record_upserted.fields['Stage'] holds a NUL character",
            "record_upserted.domains[0] holds the control character U+007F",
            "record_upserted.contact_roles[0].contact_crm_id holds the control character U+0002",
        ]
    )
    assert text_problems(crm_pb2.CrmEvent(rep_id="fine", source="multi\nline")) == []
