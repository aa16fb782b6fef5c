"""The gateway's layers, read from the source: config → domain (pure) → ports → operations →
adapters → edges (http/, grpc/) → entrypoint (app.py, admin/, __main__.py).

What each layer may import is checked here, so a shortcut (an operation calling a client, a route
reading the database) fails a test instead of waiting for a reviewer to notice.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GATEWAY = ROOT / "services" / "gateway"
IO_LIBRARIES = ("asyncpg", "aiokafka", "grpc", "fastapi", "starlette", "httpx", "plumbing")
# Pure rules shared with capture and scoring (no I/O, standard library and protobuf only).
ALLOWED_PLUMBING = ("plumbing.contracts",)
INNER = ("services.gateway.adapters", "services.gateway.http", "services.gateway.grpc")
ENTRYPOINTS = ("services.gateway.app", "services.gateway.admin", "services.gateway.__main__")

# layer -> module prefixes it must not import
RULES: dict[str, tuple[str, ...]] = {
    "domain": (*IO_LIBRARIES, *INNER, *ENTRYPOINTS, "services.gateway.operations", "services.gateway.ports"),
    "ports.py": (*IO_LIBRARIES, *INNER, *ENTRYPOINTS, "services.gateway.operations"),
    "operations": (*IO_LIBRARIES, *INNER, *ENTRYPOINTS),
    "adapters": ("services.gateway.http", "services.gateway.grpc", *ENTRYPOINTS),
    # The edges never decide access: the operations' scope does (so no edge imports domain.access).
    "http": (
        "services.gateway.adapters",
        "services.gateway.grpc",
        "services.gateway.domain.access",
        *ENTRYPOINTS,
    ),
    "grpc": (
        "services.gateway.adapters",
        "services.gateway.http",
        "services.gateway.domain.access",
        *ENTRYPOINTS,
    ),
}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def sources(layer: str) -> list[Path]:
    target = GATEWAY / layer
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(RULES))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    broken = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sources(layer)
        for name in sorted(imports(path))
        if any(name == banned or name.startswith(f"{banned}.") for banned in RULES[layer])
        and not any(name == ok or name.startswith(f"{ok}.") for ok in ALLOWED_PLUMBING)
    ]
    assert broken == []


def test_only_the_scope_and_the_operator_bind_ports_to_a_tenant() -> None:
    """`for_tenant` hands out tenant data; in operations only scope.py (the caller's tenant) and
    tenants.py (the operator's) may call it."""
    callers = sorted(path.name for path in sources("operations") if ".for_tenant(" in path.read_text())
    assert callers == ["scope.py", "tenants.py"]


def test_the_package_root_holds_only_the_entrypoint_config_ports_and_errors() -> None:
    loose = sorted(p.name for p in GATEWAY.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "app.py", "config.py", "errors.py", "ports.py"]


def test_the_cli_and_the_clients_never_import_the_gateway_service() -> None:
    broken = [
        f"{path.relative_to(ROOT)} imports {name}"
        for folder in ("cli", "client")
        for path in sorted((ROOT / "services" / folder).rglob("*.py"))
        for name in sorted(imports(path))
        if name.startswith("services.gateway")
    ]
    assert broken == []
