"""Which database failures the consumer retries (instead of dead-lettering the batch's records)."""

from __future__ import annotations

import asyncpg
import pytest

from plumbing.db.pool import is_transient_db_error


@pytest.mark.parametrize(
    "failure",
    [
        # Raised when PostgreSQL restarts under a transaction (found by tests/chaos: two valid CRM
        # events were dead-lettered because this was taken for a permanent failure).
        asyncpg.exceptions.InternalClientError(
            "cannot switch to state 15; another operation (2) is in progress"
        ),
        asyncpg.exceptions.InternalClientError(
            'cannot switch to state 12; protocol is in the "failed" state'
        ),
        asyncpg.exceptions.InternalClientError("not connected"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
    ],
)
def test_a_restarting_server_is_transient(failure: BaseException) -> None:
    assert is_transient_db_error(failure)


@pytest.mark.parametrize(
    "failure",
    [
        asyncpg.exceptions.UniqueViolationError("duplicate key value violates unique constraint"),
        asyncpg.exceptions.DataError("invalid input syntax"),
        ValueError("a bug in our code"),
    ],
)
def test_bad_data_and_bugs_are_not_transient(failure: BaseException) -> None:
    assert not is_transient_db_error(failure)
