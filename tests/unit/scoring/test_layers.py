"""Scoring's layers import only downwards: domain is pure, ports describe, operations use ports and
domain, and none of the three touches an I/O library or an adapter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import services.scoring

ROOT = Path(services.scoring.__file__).parent
IO_LIBRARIES = ("asyncpg", "aiokafka", "grpc", "plumbing.db", "plumbing.kafka", "services.scoring.adapters")
FORBIDDEN = {
    "domain": (*IO_LIBRARIES, "services.scoring.ports", "services.scoring.operations", "asyncio"),
    "ports": (*IO_LIBRARIES, "services.scoring.operations"),
    "operations": IO_LIBRARIES,
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_it_must_not(layer: str) -> None:
    modules = sorted((ROOT / layer).rglob("*.py"))
    assert modules, f"no modules under {layer}/"
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in modules
        for name in _imports(path)
        if any(name == banned or name.startswith(f"{banned}.") for banned in FORBIDDEN[layer])
    }
    assert not wrong, f"{layer}/ must not import: {sorted(wrong)}"


def test_no_use_case_is_left_at_the_package_root() -> None:
    loose = {p.name for p in ROOT.glob("*.py")}
    assert loose == {"__init__.py", "__main__.py", "app.py", "config.py", "wiring.py"}
