"""`python -m services.gateway admin`: every command has an example that parses, and a missing
environment fails with one line before any database is touched."""

from __future__ import annotations

import argparse
import shlex

import pytest

from services.gateway.__main__ import build_parser
from services.gateway.admin import commands

PARSER = build_parser()
ADMIN = next(
    action.choices["admin"] for action in PARSER._actions if isinstance(action, argparse._SubParsersAction)
)
COMMANDS = next(a for a in ADMIN._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_the_admin_commands() -> None:
    assert sorted(COMMANDS) == ["create-tenant", "issue-key", "list-keys", "list-tenants", "revoke-key"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_documents_an_example_that_parses(name: str) -> None:
    description = COMMANDS[name].description or ""
    examples = [line.split(commands.PROG, 1)[1] for line in description.splitlines() if commands.PROG in line]
    assert examples, f"admin {name} --help shows no example"
    for example in examples:
        args = PARSER.parse_args(["admin", *shlex.split(example)])
        assert args.admin_command == name


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param({}, "DATABASE_URL is not set", id="no database"),
        pytest.param(
            {"DATABASE_URL": "postgresql://x"}, "GT_GATEWAY_API_KEY_PEPPER is not set", id="no pepper"
        ),
    ],
)
def test_a_missing_environment_is_one_line_and_exit_1(
    environ: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert commands.run(PARSER.parse_args(["admin", "list-tenants"]), environ) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_no_command_runs_the_gateway() -> None:
    assert PARSER.parse_args([]).command is None
    assert PARSER.parse_args(["run"]).command == "run"
