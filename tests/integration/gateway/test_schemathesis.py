"""schemathesis, every check, over every operation of the live OpenAPI document of a running gateway.

The schemathesis command line runs as a child process against the gateway (which keeps serving on
the test's event loop): its example, coverage and fuzzing phases generate valid and invalid requests
for every operation and apply all of its checks (no 5xx, answers matching the schema, schema-valid
requests accepted, invalid ones rejected, a 405 with the right `Allow` for undeclared methods, a
request without a key refused, ...). The run must end with 0 failures. Examples per operation are
bounded so the whole run stays within a couple of minutes on a loaded 2-core machine.

Each operation runs with a key of a role that may call it (admin first), as a tenant admin, a CRM
plugin or a rep would call it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.gateway.domain.principal import Role
from tests.integration.gateway.conftest import GatewayUnderTest
from tests.integration.gateway.fakes import matched
from tests.integration.gateway.matrix import REST_MATRIX

pytestmark = pytest.mark.integration
EXAMPLES_PER_OPERATION = 20
SEED = 20_261_102
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
ROOT = Path(__file__).resolve().parents[3]
HOOKS = "tests.integration.gateway.schemathesis_hooks"
# Rules JSON Schema cannot state, each answered with its own status naming the broken rule; only
# these operations may answer a schema-valid request with that status, and their OpenAPI
# descriptions list the rules:
# - a tenant configuration's rules across items (team ids and people unique, a rep a member of at
#   most one team, no duplicates once domains are lower-cased): 400;
# - CRM event times within [2000-01-01, now + 1 day] (relative to the clock): the item is refused,
#   and a batch with no valid item is a 422 listing each item's errors.
RULES_BEYOND_THE_SCHEMA = {"PUT /v1/admin/config": "400", "POST /v1/crm/events": "422"}
# A body over the size limit is rightly refused with 413 (on top of schemathesis' own list).
REJECTION_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428"]


def key_role(route: str) -> Role:
    """The role whose key the generated requests use: one the matrix allows, admin first."""
    allowed = REST_MATRIX[route].allowed
    return next(role for role in (Role.ADMIN, Role.PLUGIN, Role.REP, Role.MANAGER) if role in allowed)


def config_file(directory: Path, key: str) -> Path:
    """A schemathesis.toml that sends `key` as the bearer API key the schema declares (so the
    `ignored_auth` check can also send requests without it)."""
    path = directory / "schemathesis.toml"
    statuses = ", ".join(f'"{s}"' for s in REJECTION_STATUSES)
    path.write_text(
        f'[auth.openapi.ApiKey]\nbearer = "{key}"\n\n'
        f"[checks.negative_data_rejection]\nexpected-statuses = [{statuses}]\n"
        + "".join(
            f'\n[[operations]]\ninclude-name = "{name}"\n'
            "[operations.checks.positive_data_acceptance]\n"
            f'expected-statuses = ["2xx", "{status}", "401", "403", "404", "409", "429"]\n'
            for name, status in RULES_BEYOND_THE_SCHEMA.items()
        )
    )
    return path


def run_schemathesis(env: GatewayUnderTest, role: Role, routes: list[str], directory: Path) -> str:
    """Run every check on `routes` with a key of `role`; returns the output when something failed."""
    directory.mkdir(parents=True, exist_ok=True)
    config = config_file(directory, env.keys[("globex", role)])
    command = [
        str(SCHEMATHESIS),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{env.url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--suppress-health-check",
        "all",
        "--output-truncate",
        "false",
        "--warnings",
        "off",
        *[arg for route in routes for arg in ("--include-name", route)],
    ]
    child_env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": HOOKS,
        "PYTHONPATH": str(ROOT),
        "GT_TEST_TENANT": "globex",
    }
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=directory, env=child_env
    )
    if result.returncode == 0:
        return ""
    return f"--- {role} ({len(routes)} operations) exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def run_all(env: GatewayUnderTest, directory: Path) -> list[str]:
    by_role: dict[Role, list[str]] = {}
    for route in REST_MATRIX:
        by_role.setdefault(key_role(route), []).append(route)
    failures = [
        run_schemathesis(env, role, routes, directory / role.value) for role, routes in by_role.items()
    ]
    return [f for f in failures if f]


async def test_every_check_over_every_operation(gateway_env: GatewayUnderTest, tmp_path: Path) -> None:
    gateway_env.upstreams.scoring.feed["globex"] = [matched("globex", seq) for seq in (1, 2, 3)]
    failures = await asyncio.to_thread(run_all, gateway_env, tmp_path)
    assert not failures, "\n\n".join(failures)
