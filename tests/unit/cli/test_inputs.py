"""Mailbox CSV files, Google key files and certificate credentials."""

from __future__ import annotations

import hashlib
import json

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from services.cli.inputs import (
    certificate_credential,
    parse_mailbox_csv,
    parse_service_account_key,
    read_text,
)
from services.cli.terminal import CliError


def test_csv_with_header_comments_blank_lines_and_spaces() -> None:
    text = "address,rep_id\n# sales east\n ann@acme.example , rep-ann \n\nbob@acme.example,rep-bob\n"
    assert parse_mailbox_csv(text) == [("ann@acme.example", "rep-ann"), ("bob@acme.example", "rep-bob")]


def test_csv_without_header() -> None:
    assert parse_mailbox_csv("ann@acme.example,rep-ann") == [("ann@acme.example", "rep-ann")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("ann@acme.example\n", "line 1: expected 'address,rep_id'", id="one column"),
        pytest.param("ann@acme.example,rep,extra\n", "line 1: expected", id="three columns"),
        pytest.param("ann@acme.example,\n", "line 1: expected", id="empty rep"),
        pytest.param("not-an-address,rep\n", "line 1: 'not-an-address' is not an e-mail address", id="no @"),
        pytest.param(
            "a@x.example,r1\nA@X.example,r2\n", "line 2: A@X.example is already on line 1", id="twice"
        ),
        pytest.param("address,rep_id\n", "lists no mailboxes", id="only a header"),
        pytest.param("", "lists no mailboxes", id="empty"),
    ],
)
def test_csv_problems_name_the_line(text: str, message: str) -> None:
    with pytest.raises(CliError) as error:
        parse_mailbox_csv(text, source="m.csv")
    assert message in str(error.value) and "m.csv" in str(error.value)


def test_csv_reports_every_bad_line() -> None:
    text = "".join(f"bad{i}\n" for i in range(8))
    with pytest.raises(CliError) as error:
        parse_mailbox_csv(text)
    assert "has 8 bad line(s)" in str(error.value) and "and 3 more" in str(error.value)


def test_missing_file_is_a_clear_error() -> None:
    with pytest.raises(CliError, match="does not exist"):
        read_text("/nonexistent/mailboxes.csv", what="CSV file")


def test_service_account_key() -> None:
    key = {"type": "service_account", "client_email": "x@y.iam.gserviceaccount.com"}
    assert parse_service_account_key(json.dumps(key), source="k.json") == key
    with pytest.raises(CliError, match="not JSON"):
        parse_service_account_key("{", source="k.json")
    with pytest.raises(CliError, match="not a service-account key"):
        parse_service_account_key(json.dumps({"type": "authorized_user"}), source="k.json")


def test_certificate_credential_works_out_the_thumbprint() -> None:
    cert = trustme.CA().issue_cert("capture.acme.example", key_type=trustme.KeyType.RSA)
    certificate_pem = cert.cert_chain_pems[0].bytes().decode()
    key_pem = cert.private_key_pem.bytes().decode()
    der = x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(serialization.Encoding.DER)
    bundle = key_pem + certificate_pem  # one file holding both, as many exports do
    credential = certificate_credential(bundle, bundle, source="app.pem")
    assert credential["thumbprint"] == hashlib.sha1(der).hexdigest()
    assert credential["private_key_pem"].strip() == key_pem.strip()
    assert "CERTIFICATE" in credential["public_certificate_pem"]
    with pytest.raises(CliError, match="no PEM private key"):
        certificate_credential(certificate_pem, certificate_pem, source="app.pem")
    with pytest.raises(CliError, match="holds no PEM certificate"):
        certificate_credential(key_pem, key_pem, source="app.pem")
