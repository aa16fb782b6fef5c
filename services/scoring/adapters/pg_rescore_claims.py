"""`RescoreClaims` on PostgreSQL: a session-level advisory lock per tenant, on a connection of its own.

The lock lives as long as the connection: when the process holding a claim dies (or its connection
drops), PostgreSQL releases it at once and the next process's pass rescores the tenant, so a dead
process never stalls rescoring. The connection is outside the pool on purpose: a pooled connection
must never carry session state (`plumbing.db.pool.keep_session`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeAlias

import asyncpg

ClaimConnection: TypeAlias = "asyncpg.Connection[asyncpg.Record]"
_CLAIM_PREFIX = b"groundtruth-scoring:rescore:"
_DROPPED = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


def claim_key(tenant_id: str) -> int:
    """The tenant's advisory lock key: 64 bits of a hash, apart from every other lock's keys."""
    digest = hashlib.blake2b(_CLAIM_PREFIX + tenant_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PgRescoreClaims:
    """See `RescoreClaims`. `connect` opens the claims' own connection (again after a failure)."""

    def __init__(self, connect: Callable[[], Awaitable[ClaimConnection]]) -> None:
        self._connect = connect
        self._conn: ClaimConnection | None = None
        self._turn = asyncio.Lock()  # one statement at a time on the one connection

    @contextlib.asynccontextmanager
    async def claim(self, tenant_id: str) -> AsyncIterator[bool]:
        key = claim_key(tenant_id)
        async with self._turn:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._connect()
            try:
                held = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", key))
            except _DROPPED:
                await self.close()
                raise
        try:
            yield held
        finally:
            if held:
                await self._release(key)

    async def _release(self, key: int) -> None:
        async with self._turn:
            conn = self._conn
            if conn is None or conn.is_closed():
                return  # the connection went, and the lock with it
            try:
                await conn.execute("SELECT pg_advisory_unlock($1)", key)
            except _DROPPED:
                await self.close()  # closing the connection releases whatever it held

    async def close(self) -> None:
        """Drop the connection and every claim with it (after a failure, and at shutdown)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=5)
            except _DROPPED:
                conn.terminate()
