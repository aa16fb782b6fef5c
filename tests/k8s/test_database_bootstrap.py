"""The CloudNativePG bootstrap SQL and managed roles, replayed on a real PostgreSQL server, let every
service apply its own migrations as its own role, and keep each role out of the other schemas."""

from __future__ import annotations

import importlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from plumbing.embedded.postgres import EmbeddedPostgres
from tests.k8s.manifests import Obj, Rendering
from tests.k8s.settings_env import env_settings, service_names, settings_class
from tests.k8s.test_database import bootstrap_sql

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server of our own: the test creates cluster-wide roles, which must not leak."""
    postgres = EmbeddedPostgres(Path(tmp_path_factory.mktemp("cnpg")) / "data", durable=False)
    url = postgres.start()
    try:
        yield url
    finally:
        postgres.stop()


def _with(url: str, *, user: str, password: str, database: str) -> str:
    parts = urlsplit(url)
    return f"postgresql://{user}:{password}@{parts.hostname}:{parts.port}/{database}"


async def _bootstrap(server: str, overlay: Rendering) -> dict[str, str]:
    """What CloudNativePG does: create the database, run postInitApplicationSQL in it as superuser,
    then reconcile the managed roles (LOGIN, password, connection limit). Returns role passwords."""
    (cluster,) = overlay.of_kind("Cluster")
    initdb: Obj = cluster["spec"]["bootstrap"]["initdb"]
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE ROLE "{initdb["owner"]}" LOGIN')
        await admin.execute(f'CREATE DATABASE "{initdb["database"]}" OWNER "{initdb["owner"]}"')
    finally:
        await admin.close()
    superuser_password = urlsplit(server).password or ""
    database = await asyncpg.connect(
        _with(server, user="postgres", password=superuser_password, database=initdb["database"])
    )
    passwords = {}
    try:
        for statement in bootstrap_sql(overlay):
            await database.execute(statement)
        for role in cluster["spec"]["managed"]["roles"]:
            passwords[role["name"]] = secrets.token_hex(16)
            inherit = "INHERIT" if role.get("inherit", True) else "NOINHERIT"
            limit = role.get("connectionLimit", -1)
            await database.execute(
                f'ALTER ROLE "{role["name"]}" LOGIN {inherit} CONNECTION LIMIT {limit} '
                f"PASSWORD '{passwords[role['name']]}'"
            )
    finally:
        await database.close()
    return passwords


async def test_services_migrate_as_their_own_roles_and_stay_in_their_schemas(
    server: str, renderings: list[Rendering], monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay = next(r for r in renderings if r.name == "overlays/prod")
    passwords = await _bootstrap(server, overlay)
    (cluster,) = overlay.of_kind("Cluster")
    database = cluster["spec"]["bootstrap"]["initdb"]["database"]

    migrated = []
    for service in service_names():
        url = _with(server, user=service, password=passwords[service], database=database)
        app = importlib.import_module(f"services.{service}.app")
        if hasattr(app, "run_migrations"):
            monkeypatch.setenv("DATABASE_URL", url)
            monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "unused:9092")
            # Other required secrets (e.g. the gateway's key pepper) play no part in migrating.
            for setting in env_settings(settings_class(service)):
                if setting.required and setting.secret and setting.env not in os.environ:
                    monkeypatch.setenv(setting.env, secrets.token_hex(32))
            applied = await app.run_migrations(settings_class(service)())
            assert applied, f"{service}: no migration applied in its fresh schema"
            migrated.append(service)
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f"CREATE TABLE {service}.probe (id int)")  # its own schema: allowed
            for other in service_names():
                if other != service:
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):
                        await conn.execute(f"CREATE TABLE {other}.intruder (id int)")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE SCHEMA elsewhere")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE public.intruder (id int)")
        finally:
            await conn.close()
    assert "scoring" in migrated

    # No service reads another's tables (DESIGN.md): scoring's activities are invisible to the others.
    for other in service_names():
        if other == "scoring":
            continue
        conn = await asyncpg.connect(_with(server, user=other, password=passwords[other], database=database))
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch("SELECT * FROM scoring.schema_migrations")
        finally:
            await conn.close()
