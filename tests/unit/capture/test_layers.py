"""Capture's layers, read from the source: config → domain (pure) → ports → operations (the admin use
cases and the sync engine) → adapters and providers → wiring and entrypoint (app.py, __main__.py).

What each layer may import is checked here, so a shortcut (the engine catching a driver's exception,
a use case reaching for the pool, the domain calling a provider) fails a test instead of waiting for a
reviewer to notice.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import services.capture

ROOT = Path(services.capture.__file__).parent
IO_LIBRARIES = (
    "asyncpg",
    "aiokafka",
    "grpc",
    "httpx",
    "starlette",
    "msal",
    "googleapiclient",
    "prometheus_client",
    "plumbing",
)
ENTRYPOINTS = ("services.capture.app", "services.capture.wiring", "services.capture.__main__")
OUTER = ("services.capture.adapters", "services.capture.providers", *ENTRYPOINTS)

# layer -> module prefixes it must not import
RULES: dict[str, tuple[str, ...]] = {
    "domain": (*IO_LIBRARIES, *OUTER, "services.capture.ports", "services.capture.operations", "asyncio"),
    "ports": (*IO_LIBRARIES, *OUTER, "services.capture.operations", "services.capture.config"),
    "operations": (*IO_LIBRARIES, *OUTER, "services.capture.config"),
    "adapters": ("services.capture.providers", *ENTRYPOINTS),
    "providers": ("services.capture.operations", "services.capture.adapters", *ENTRYPOINTS),
}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("layer", sorted(RULES))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    modules = sorted((ROOT / layer).rglob("*.py"))
    assert modules, f"no modules under {layer}/"
    broken = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules
        for name in imports(path)
        if any(name == banned or name.startswith(f"{banned}.") for banned in RULES[layer])
    )
    assert broken == []


def test_the_package_root_holds_only_config_wiring_and_the_entrypoint() -> None:
    loose = sorted(p.name for p in ROOT.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "app.py", "config.py", "wiring.py"]
