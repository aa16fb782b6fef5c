"""Confirmations, gateway options and the Microsoft credential choice."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from services.cli.connections import _microsoft_credential
from services.cli.terminal import CliError, api_key, gateway_url
from tests.unit.cli.support import captured_terminal


@pytest.mark.parametrize(
    ("answer", "confirmed"),
    [("y\n", True), ("YES\n", True), ("n\n", False), ("\n", False), ("", False), ("sure\n", False)],
)
def test_only_yes_confirms(answer: str, confirmed: bool) -> None:
    terminal, _, err = captured_terminal(stdin=answer)
    assert terminal.confirm("erase rep-a?") is confirmed
    assert err.getvalue() == "erase rep-a? [y/N] \n"  # the prompt ends its line before any message


def test_url_and_key_from_options_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GT_URL", raising=False)
    monkeypatch.delenv("GT_API_KEY", raising=False)
    bare = argparse.Namespace(url=None, key=None)
    assert gateway_url(bare) == "http://127.0.0.1:8080"
    with pytest.raises(CliError, match="no API key"):
        api_key(bare)
    monkeypatch.setenv("GT_URL", "https://gw.example")
    monkeypatch.setenv("GT_API_KEY", "gt_env")
    assert (gateway_url(bare), api_key(bare)) == ("https://gw.example", "gt_env")
    given = argparse.Namespace(url="http://other:1", key="gt_flag")
    assert (gateway_url(given), api_key(given)) == ("http://other:1", "gt_flag")
    with pytest.raises(CliError, match="must start with http"):
        gateway_url(argparse.Namespace(url="gw.example:8080", key=None))


def _ms(**values: object) -> argparse.Namespace:
    base: dict[str, object] = {"certificate_file": None, "private_key_file": None, "client_secret_file": None}
    return argparse.Namespace(**{**base, **values})


def test_microsoft_credential_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    monkeypatch.delenv("GT_CLIENT_SECRET", raising=False)
    with pytest.raises(CliError, match="give the app's credential"):
        _microsoft_credential(_ms())
    secret = tmp_path / "secret.txt"
    secret.write_text("  s3cret \n")
    assert _microsoft_credential(_ms(client_secret_file=str(secret))) == ("s3cret", None)
    monkeypatch.setenv("GT_CLIENT_SECRET", "from-env")
    assert _microsoft_credential(_ms()) == ("from-env", None)
    with pytest.raises(CliError, match="goes with --certificate-file"):
        _microsoft_credential(_ms(private_key_file="k.pem"))
    with pytest.raises(CliError, match="does not exist"):
        _microsoft_credential(_ms(certificate_file=str(tmp_path / "missing.pem")))


def test_the_cli_is_a_pure_rest_client() -> None:
    """No database mode: the CLI imports neither the gateway service nor a database driver (the
    operator's commands on the gateway's database are `python -m services.gateway admin`)."""
    forbidden = ("services.gateway", "asyncpg", "plumbing.db")
    program = f"import sys, services.cli\nprint(sorted(m for m in sys.modules if m.startswith({forbidden})))"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_tables_off_a_terminal_keep_whole_identifiers() -> None:
    """Piped output (not a terminal) never cuts a rep id to "dario.me…": rich's 80-column default
    squeezed wide tables and truncated identifiers (issue 20)."""
    import io

    from rich.table import Table

    from services.cli.terminal import results_console

    stream = io.StringIO()  # not a terminal
    console = results_console(stream)
    table = Table("rep", "team", "class", "adoption", "data quality", "why")
    long_id = "dario.moreau-lindqvist@contoso-digital-partners.example"
    for n in range(3):
        table.add_row(f"{n}.{long_id}", "digital-partners", "insufficient_data", "97.2", "—", "x" * 60)
    console.print(table)
    printed = stream.getvalue()
    assert "…" not in printed
    for n in range(3):
        assert f"{n}.{long_id}" in printed
