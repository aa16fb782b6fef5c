"""The embedded PostgreSQL and broker start, answer, and never outlive the process that started them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.integration

_HOLDER = """
import json, sys, time
from pathlib import Path
from plumbing.embedded import Infrastructure
infra = Infrastructure(Path(sys.argv[1]), durable=False)
endpoints = infra.start()
print(json.dumps({"postgres": infra.postgres.pid, "broker": infra.broker.pid,
                  "database_url": endpoints.database_url, "bootstrap": endpoints.kafka_bootstrap_servers}),
      flush=True)
time.sleep(600)
"""


def _start_holder(run_dir: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert holder.stdout is not None
    line = holder.stdout.readline()
    assert line, "the holder process died before reporting its children"
    return holder, json.loads(line)


def _gone(pid: int, timeout_sec: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_sec
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_children_die_with_their_parent(tmp_path: Path, how: str) -> None:
    holder, info = _start_holder(tmp_path)
    postgres_pid, broker_pid = int(str(info["postgres"])), int(str(info["broker"]))
    assert psutil.pid_exists(postgres_pid) and psutil.pid_exists(broker_pid)

    holder.send_signal(getattr(signal, how))
    holder.wait(timeout=10)
    assert holder.stdout is not None
    holder.stdout.close()

    assert _gone(postgres_pid), "postgres outlived its parent"
    assert _gone(broker_pid), "the broker outlived its parent"


def test_restart_keeps_data_and_port(tmp_path: Path) -> None:
    import asyncio

    import asyncpg

    from plumbing.embedded.postgres import EmbeddedPostgres

    server = EmbeddedPostgres(tmp_path / "pgdata", durable=True)
    url = server.start()
    try:

        async def write() -> None:
            conn = await asyncpg.connect(url)
            await conn.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
            await conn.close()

        async def read() -> int:
            conn = await asyncpg.connect(url)
            value = await conn.fetchval("SELECT v FROM kept")
            await conn.close()
            return int(value)

        asyncio.run(write())
        server.restart()
        assert asyncio.run(read()) == 42
    finally:
        server.stop()


def test_the_superuser_needs_the_generated_password(tmp_path: Path) -> None:
    import asyncio

    import asyncpg

    from plumbing.embedded.postgres import EmbeddedPostgres

    server = EmbeddedPostgres(tmp_path / "pgdata", durable=False)
    url = server.start()
    try:
        password = server.password_file.read_text().strip()
        assert len(password) >= 24 and f":{password}@" in url
        assert server.password_file.stat().st_mode & 0o777 == 0o600

        async def connect(dsn: str) -> int:
            conn = await asyncpg.connect(dsn)
            try:
                return int(await conn.fetchval("SELECT 1"))
            finally:
                await conn.close()

        assert asyncio.run(connect(url)) == 1
        for wrong in (url.replace(f":{password}@", "@"), url.replace(password, "not-the-password")):
            with pytest.raises(
                (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)
            ):
                asyncio.run(connect(wrong))
        server.restart()
        assert asyncio.run(connect(url)) == 1, "the password changed across a restart"
    finally:
        server.stop()


def test_a_data_directory_from_before_passwords_gets_one(tmp_path: Path) -> None:
    """Run directories made by earlier versions trust every local connection; the next start closes that."""
    import asyncio

    import asyncpg

    from plumbing.embedded.postgres import EmbeddedPostgres

    server = EmbeddedPostgres(tmp_path / "pgdata", durable=False)
    url = server.start()
    server.stop()
    hba = server.data_dir / "pg_hba.conf"
    hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
    server.start()
    try:
        with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            asyncio.run(asyncpg.connect(url.replace(url.split("@")[0].split("//")[1], "postgres")))
        assert "trust" not in {
            line.split()[-1]
            for line in hba.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
    finally:
        server.stop()
