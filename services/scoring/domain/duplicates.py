"""What makes two CRM records probable duplicates.

Accounts: a shared web domain, or the same name once case, punctuation and legal-form words
("Inc", "GmbH", "Ltd"...) are ignored. Contacts: the same e-mail address, or the same normalised
name on the same account. The store groups records by these keys.
"""

from __future__ import annotations

import re

_LEGAL_FORMS = re.compile(
    r"\b(inc|incorporated|ltd|limited|llc|llp|gmbh|mbh|ag|sa|sas|sarl|bv|nv|plc|corp|corporation|co|"
    r"company|oy|ab|as|spa|srl|pty|kk|group|the)\b"
)
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def name_key(name: str) -> str:
    """The part of a name that identifies it: "ACME, Inc." and "Acme Inc" both give "acme"."""
    lowered = _LEGAL_FORMS.sub(" ", name.casefold())
    return _NOT_ALPHANUMERIC.sub("", lowered)
