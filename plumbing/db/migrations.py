"""Versioned SQL migrations, applied by each service to its own schema at start-up.

Why not yoyo or alembic: both drive a synchronous DB-API driver (psycopg) or SQLAlchemy, which this
platform would carry only for this step, while everything else speaks asyncpg. The contract we need
is small and is all here: numbered `NNNN_name.sql` files applied in order, each in its own
transaction, recorded with a checksum in `<schema>.schema_migrations`, under an advisory lock so
concurrent replicas (or the Kubernetes migrations Job) never race, and refusing to start when an
applied file was edited afterwards.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from plumbing.db.pool import Connection

_log = logging.getLogger(__name__)
_FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    """The schema's recorded history does not match the migration files."""


def load_migrations(directory: Path) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_snake_case.sql")
        migrations.append(Migration(int(match.group(1)), match.group(2), path.read_text()))
    versions = [m.version for m in migrations]
    # Numbers are reserved per change when several are made in parallel (docs: one range per branch),
    # so a branch may hold 0006 before 0005 exists; what must never happen is one number twice.
    if len(set(versions)) != len(versions) or (versions and versions[0] < 1):
        raise MigrationError(f"{directory}: versions must be unique and start at 1 or more, found {versions}")
    return migrations


async def apply_migrations(conn: Connection, *, schema: str, directory: Path) -> list[int]:
    """Bring `schema` up to date; returns the versions applied now."""
    migrations = load_migrations(directory)
    lock_key = zlib.crc32(f"groundtruth-migrations:{schema}".encode())
    await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
    try:
        # In production the schema is created beforehand, owned by the service's role, which has no
        # CREATE on the database; CREATE SCHEMA IF NOT EXISTS would still demand that privilege.
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema):
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        rows = await conn.fetch(f'SELECT version, checksum FROM "{schema}".schema_migrations')
        applied = {row["version"]: row["checksum"] for row in rows}
        newly_applied = []
        for migration in migrations:
            recorded = applied.get(migration.version)
            if recorded is not None:
                if recorded != migration.checksum:
                    raise MigrationError(
                        f"{schema} migration {migration.version:04d}_{migration.name} was edited after it "
                        "was applied; add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
                await conn.execute(migration.sql)
                await conn.execute(
                    f'INSERT INTO "{schema}".schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            newly_applied.append(migration.version)
            _log.info("migration applied", extra={"schema": schema, "version": migration.version})
        unknown = set(applied) - {m.version for m in migrations}
        if unknown:
            # A newer build got here first (rolling upgrade or rollback); its migrations are additive.
            _log.warning(
                "schema is ahead of this build", extra={"schema": schema, "versions": sorted(unknown)}
            )
        return newly_applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)


async def migrate(dsn: str, *, schema: str, directory: Path) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        return await apply_migrations(conn, schema=schema, directory=directory)
    finally:
        await conn.close()
