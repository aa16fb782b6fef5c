"""Reading what the admin hands the CLI: mailbox CSV files, secrets, certificates and key files.

Parsing is pure (text in, values or `CliError` out) so it is unit-tested; only `read_text` touches
the file system. Problems name the file and line, so a 2,000-line CSV is fixable at a glance.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from services.cli.terminal import CliError

MAX_MAILBOXES_PER_FILE = 100_000


def read_text(path: str, *, what: str) -> str:
    """The file's text ('-' is standard input); a missing or unreadable file is a CliError."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except FileNotFoundError as exc:
        raise CliError(f"{what} {path!r} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {what} {path!r}: {exc}") from exc


def parse_mailbox_csv(text: str, *, source: str = "the file") -> list[tuple[str, str]]:
    """`address,rep_id` rows (a header row naming those columns is allowed; blank lines and lines
    starting with # are skipped). Every problem is reported, not just the first."""
    rows: list[tuple[str, str]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if not rows and not problems and [c.lower() for c in cells[:2]] == ["address", "rep_id"]:
            continue
        if len(cells) != 2 or not cells[0] or not cells[1]:
            problems.append(f"line {number}: expected 'address,rep_id', got {','.join(row)!r}")
            continue
        address, rep_id = cells
        if "@" not in address.strip("@"):
            problems.append(f"line {number}: {address!r} is not an e-mail address")
            continue
        key = address.lower()
        if key in seen:
            problems.append(f"line {number}: {address} is already on line {seen[key]}")
            continue
        seen[key] = number
        rows.append((address, rep_id))
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise CliError(f"{source} has {len(problems)} bad line(s): {shown}")
    if not rows:
        raise CliError(f"{source} lists no mailboxes (expected lines of 'address,rep_id')")
    if len(rows) > MAX_MAILBOXES_PER_FILE:
        raise CliError(
            f"{source} lists {len(rows):,} mailboxes; at most {MAX_MAILBOXES_PER_FILE:,} per import"
        )
    return rows


def parse_service_account_key(text: str, *, source: str) -> dict[str, Any]:
    """The downloaded Google key file; the gateway checks it in depth, this only catches the wrong file."""
    try:
        key = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{source} is not JSON (expected a Google service-account key file)") from exc
    if not isinstance(key, dict) or key.get("type") != "service_account":
        raise CliError(f'{source} is not a service-account key (its "type" must be "service_account")')
    return key


def certificate_credential(certificate_pem: str, private_key_pem: str, *, source: str) -> dict[str, str]:
    """The certificate credential the API wants, with the SHA-1 thumbprint worked out from the
    certificate (the value Entra shows), so nobody has to copy it by hand."""
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    except ValueError as exc:
        raise CliError(f"{source} holds no PEM certificate") from exc
    if "PRIVATE KEY-----" not in private_key_pem:
        raise CliError(f"no PEM private key found (give --private-key-file, or put the key in {source})")
    der = certificate.public_bytes(serialization.Encoding.DER)
    return {
        "private_key_pem": _first_block(private_key_pem, "PRIVATE KEY"),
        "thumbprint": hashlib.sha1(der).hexdigest(),  # the identifier Entra uses, not a security hash
        "public_certificate_pem": certificate.public_bytes(serialization.Encoding.PEM).decode(),
    }


def _first_block(pem: str, kind: str) -> str:
    """The first `-----BEGIN ...{kind}-----` block of a PEM bundle."""
    start = pem.find("-----BEGIN ")
    while start != -1:
        header_end = pem.find("-----", start + 11)
        end_marker = "-----END " + pem[start + 11 : header_end] + "-----"
        end = pem.find(end_marker, header_end)
        if end == -1:
            break
        block = pem[start : end + len(end_marker)]
        if pem[start + 11 : header_end].endswith(kind):
            return block + "\n"
        start = pem.find("-----BEGIN ", end)
    return pem
