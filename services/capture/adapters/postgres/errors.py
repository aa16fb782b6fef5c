"""asyncpg's failures, said in the ports' words: a transient one becomes `StoreUnavailable`."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from plumbing.db.pool import is_transient_db_error
from services.capture.ports import StoreUnavailable

TParams = ParamSpec("TParams")
TResult = TypeVar("TResult")


def translate_store_errors(
    method: Callable[TParams, Awaitable[TResult]],
) -> Callable[TParams, Coroutine[Any, Any, TResult]]:
    """Wrap a store method: a failure that goes away by waiting (the server restarting, a dropped
    connection, a serialization failure, a timeout) is raised as `StoreUnavailable`; any other
    exception (a bug, `SecretsUnavailable`) passes unchanged."""

    @functools.wraps(method)
    async def translated(*args: TParams.args, **kwargs: TParams.kwargs) -> TResult:
        try:
            return await method(*args, **kwargs)
        except Exception as exc:
            if is_transient_db_error(exc):
                raise StoreUnavailable(f"capture's database is unavailable: {exc!r}") from exc
            raise

    return translated
