"""What a string may contain to be accepted anywhere: storable in PostgreSQL, encodable as UTF-8
(protobuf, JSON), and readable by a person.

- Never: a lone UTF-16 surrogate (U+D800..U+DFFF, not encodable as UTF-8: protobuf and every UTF-8
  store refuse it), NUL (PostgreSQL text cannot hold it), the other C0 control characters except
  TAB, LF and CR, and DEL.
- Single-line text (identifiers, names, short labels) refuses TAB, LF and CR as well.
- Every field has a maximum length, stated where the field is.

The `*_PATTERN` strings say the same in JSON Schema (OpenAPI) terms; a value with a lone surrogate
is not a valid string to begin with, so it fails any pattern.
"""

from __future__ import annotations

import re

# Characters refused everywhere, and those refused in single-line text on top.
# Written as regex escapes (not the characters themselves) so the OpenAPI document stays readable.
_NEVER = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_NOT_IN_A_LINE = r"\x00-\x1f\x7f"
TEXT_PATTERN = f"^[^{_NEVER}]*$"
LINE_PATTERN = f"^[^{_NOT_IN_A_LINE}]*$"
# One line with at least one character that is not a space (a required name or id).
FILLED_LINE_PATTERN = rf"^[^{_NOT_IN_A_LINE}]*[^\s{_NOT_IN_A_LINE}][^{_NOT_IN_A_LINE}]*$"
_REFUSED_IN_TEXT = re.compile(rf"[{_NEVER}\ud800-\udfff]")
_REFUSED_IN_A_LINE = re.compile(rf"[{_NOT_IN_A_LINE}\ud800-\udfff]")


def text_problem(value: str, *, max_chars: int | None = None, single_line: bool = False) -> str | None:
    """Why `value` cannot be accepted, in words without the value itself; None when it can."""
    refused = (_REFUSED_IN_A_LINE if single_line else _REFUSED_IN_TEXT).search(value)
    if refused is not None:
        return _describe(refused.group())
    if max_chars is not None and len(value) > max_chars:
        return f"is longer than {max_chars} characters"
    return None


def is_clean(value: str, *, single_line: bool = False) -> bool:
    """True when `value` holds no character refused by the rules above."""
    return (_REFUSED_IN_A_LINE if single_line else _REFUSED_IN_TEXT).search(value) is None


def _describe(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "holds a lone UTF-16 surrogate (not valid Unicode text)"
    if code == 0:
        return "holds a NUL character"
    if char in "\t\n\r":
        return "holds a tab or line break (one line of text expected)"
    return f"holds the control character U+{code:04X}"
