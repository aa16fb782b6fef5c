"""The whole command tree: every command has --help with an example, and every example parses."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from services.cli import main
from services.cli.parser import build_parser
from tests.unit.cli.support import captured_terminal


def _walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _walk(child, (*path, name))
    return found


COMMANDS = _walk(build_parser())
LEAVES = [
    (path, p)
    for path, p in COMMANDS
    if not any(isinstance(a, argparse._SubParsersAction) for a in p._actions)
]


def examples(description: str) -> list[str]:
    """The `groundtruth ...` command lines of a description's example(s) block (continuations joined)."""
    lines: list[str] = []
    in_block = False
    pending = ""
    for raw in description.splitlines():
        line = (
            re.sub(r"^examples?:\s*", "", raw.strip())
            if re.match(r"^examples?:", raw.strip())
            else raw.strip()
        )
        in_block = in_block or bool(re.match(r"^examples?:", raw.strip()))
        if not in_block:
            continue
        if pending:
            line = pending + " " + line
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1].strip()
            continue
        line = line.split("  #", 1)[0].strip()
        if line.startswith("groundtruth "):
            lines.append(line)
        elif not line:
            in_block = False
    return lines


def test_the_tree_has_every_command_group() -> None:
    top = {path[0] for path, _ in COMMANDS if path}
    assert top == {
        "keys", "connections", "mailboxes", "sync", "backfill",
        "scores", "score", "health", "diagnostics", "friction", "opportunities", "readiness", "erase",
    }  # fmt: skip
    assert len(LEAVES) == 21  # a new command: add it here and to docs/cli.md


@pytest.mark.parametrize(
    ("path", "parser"), COMMANDS, ids=[" ".join(p) or "groundtruth" for p, _ in COMMANDS]
)
def test_every_command_has_help_with_an_example_that_parses(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    help_text = parser.format_help()
    assert "example" in help_text, f"{' '.join(path)} --help shows no example"
    lines = examples(parser.description or "")
    assert lines, f"no 'groundtruth ...' example line in {' '.join(path) or 'groundtruth'}"
    for line in lines:
        argv = shlex.split(line)[1:]
        try:
            build_parser().parse_args(argv)
        except SystemExit as exc:  # argparse's way of saying the example is wrong
            raise AssertionError(f"example does not parse: {line}") from exc


@pytest.mark.parametrize(
    "path", [p for p, _ in COMMANDS], ids=[" ".join(p) or "groundtruth" for p, _ in COMMANDS]
)
def test_help_exits_zero(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    terminal, _, _ = captured_terminal()
    assert main([*path, "--help"], terminal=terminal) == 0
    assert "usage: groundtruth" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param([], "required: COMMAND", id="no command"),
        pytest.param(["keys"], "required: COMMAND", id="group without command"),
        pytest.param(["backfill", "--timeout", "0"], "must be greater than 0", id="zero timeout"),
        pytest.param(
            ["backfill", "--connection", "a", "--mailbox", "b"], "not allowed with", id="two scopes"
        ),
        pytest.param(["keys", "create", "--role", "boss", "--name", "x"], "invalid choice", id="bad role"),
        pytest.param(["sync", "status", "--interval", "soon"], "is not a number", id="bad interval"),
        # No database mode: tenants and the first admin key are `python -m services.gateway admin`'s.
        pytest.param(["tenant", "create", "acme", "--name", "A"], "invalid choice: 'tenant'", id="no tenant"),
        pytest.param(
            ["keys", "list", "--tenant", "acme"], "unrecognized arguments: --tenant", id="no --tenant"
        ),
    ],
)
def test_bad_usage_exits_2_with_argparses_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal, _, _ = captured_terminal()
    assert main(argv, terminal=terminal) == 2
    assert message in capsys.readouterr().err


def test_every_command_talks_to_the_gateway_with_url_and_key() -> None:
    for path, parser in LEAVES:
        options = {o for a in parser._actions for o in a.option_strings}
        assert {"--url", "--key"} <= options, path
