"""asyncpg pools scoped to one service's schema."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
# A connection in hand, whether taken from a pool or opened directly.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"

# Failures that go away by waiting: the server is down or restarting, or two transactions collided.
_TRANSIENT_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "53300",  # too_many_connections
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now
    "08000",
    "08003",
    "08006",
    "08001",
    "08004",
}


async def keep_session(connection: asyncpg.Connection[asyncpg.Record]) -> None:
    """The pool's reset on release, minus asyncpg's default reset query.

    asyncpg rolls back an open transaction and drops listeners before calling this either way; its
    default then runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`, one more
    round trip per release (measured at a tenth of capture's CPU in a backfill profile). No service
    leaves session state on a pooled connection: settings are `SET LOCAL`, advisory locks are
    `pg_advisory_xact_lock`, cursors live inside transactions, nothing LISTENs. Keep it that way:
    session-level state would leak to the connection's next user."""


async def create_pool(dsn: str, *, schema: str, min_size: int = 1, max_size: int = 10) -> Pool:
    """A pool whose connections resolve unqualified names in `schema` first."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        reset=keep_session,
        command_timeout=60,
        server_settings={"search_path": f"{schema},public", "application_name": f"groundtruth-{schema}"},
    )
    assert pool is not None  # create_pool only returns None when awaited lazily, which we never do
    return pool


async def connect_alone(dsn: str, *, schema: str, purpose: str) -> asyncpg.Connection[asyncpg.Record]:
    """One connection outside any pool, for session-level state such as a leader's advisory lock
    (a pooled connection must never carry session state, see `keep_session`)."""
    return await asyncpg.connect(
        dsn,
        command_timeout=60,
        server_settings={"search_path": f"{schema},public", "application_name": f"groundtruth-{purpose}"},
    )


def is_transient_db_error(exc: BaseException) -> bool:
    """True when retrying the same statement later can succeed."""
    if isinstance(exc, (OSError, ConnectionError, asyncpg.exceptions.ConnectionDoesNotExistError)):
        return True
    if isinstance(exc, asyncpg.exceptions.InterfaceError) and "connection" in str(exc).lower():
        return True
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # The client's protocol state on a connection the server dropped mid-operation ("cannot switch
        # to state ...; another operation is in progress", "not connected"): seen when PostgreSQL
        # restarts under a transaction. The pool replaces the connection; treating it as permanent
        # would dead-letter valid records (found by tests/chaos).
        return True
    if isinstance(exc, asyncpg.PostgresError):
        return getattr(exc, "sqlstate", None) in _TRANSIENT_SQLSTATES
    return isinstance(exc, TimeoutError)
