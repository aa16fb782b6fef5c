"""A terminal that writes into strings, for the CLI's unit tests."""

from __future__ import annotations

import io

from rich.console import Console

from services.cli.terminal import Terminal


def captured_terminal(
    *, stdin: str = "", interactive: bool = False, width: int = 200
) -> tuple[Terminal, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    terminal = Terminal(
        out=Console(file=out, width=width, color_system=None, force_terminal=interactive),
        err=Console(file=err, width=width, color_system=None, force_terminal=interactive),
        stdin=io.StringIO(stdin),
    )
    return terminal, out, err


def rendered(renderable: object, *, width: int = 200) -> str:
    """What a renderable looks like on a plain terminal of `width` columns."""
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()
