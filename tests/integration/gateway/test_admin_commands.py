"""`python -m services.gateway admin`: bootstrap a tenant, manage its keys on the database, fail clearly."""

from __future__ import annotations

import asyncio
import os
import sys

import httpx
import pytest

from tests.integration.gateway.conftest import GatewayUnderTest
from tests.integration.platform import TEST_API_KEY_PEPPER

pytestmark = pytest.mark.integration


async def admin(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.gateway",
        "admin",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_bootstrap_a_tenant_and_manage_its_keys(gateway_env: GatewayUnderTest) -> None:
    env = {
        "DATABASE_URL": gateway_env.isolated.database_url,
        "GT_GATEWAY_API_KEY_PEPPER": TEST_API_KEY_PEPPER,
    }
    code, out, _ = await admin("create-tenant", "initech", "--name", "Initech", env=env)
    assert code == 0
    admin_key = out.split("store it now): ", 1)[1].strip()
    async with httpx.AsyncClient(base_url=gateway_env.url) as client:
        config = await client.get("/v1/admin/config", headers={"Authorization": f"Bearer {admin_key}"})
    assert config.status_code == 200

    code, _, err = await admin("create-tenant", "initech", "--name", "Again", env=env)
    assert code == 1 and "already exists" in err
    code, out, _ = await admin("issue-key", "initech", "--role", "plugin", "--name", "sf", env=env)
    assert code == 0 and "gt_" in out
    key_id = out.split()[2]
    code, out, _ = await admin("list-keys", "initech", env=env)
    assert code == 0 and key_id in out and "plugin" in out and "gt_" not in out
    code, out, _ = await admin("revoke-key", "initech", key_id, env=env)
    assert code == 0 and "revoked" in out
    code, _, err = await admin("issue-key", "initech", "--role", "rep", "--name", "r", env=env)
    assert code == 1 and "rep_id is required" in err
    code, _, err = await admin("list-keys", "nobody", env=env)
    assert code == 1 and "no tenant" in err
    code, out, _ = await admin("list-tenants", env=env)
    assert code == 0 and "initech\tInitech\t" in out
    code, _, err = await admin("list-tenants", env={"DATABASE_URL": ""})
    assert code == 1 and "DATABASE_URL is not set" in err
