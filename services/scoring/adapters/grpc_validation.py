"""What the scoring RPCs share at the edge: bad input is INVALID_ARGUMENT with what was wrong, and an
operation's `NotFound` is NOT_FOUND with its message."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import UTC, date, tzinfo
from typing import Any, NoReturn, TypeAlias, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc

from plumbing.contracts.identifiers import is_role
from services.scoring.operations.errors import NotFound
from services.scoring.operations.queries import Page

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
MAX_ID_LENGTH = 256
T = TypeVar("T")


async def invalid(context: Context, message: str) -> NoReturn:
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, message)
    raise AssertionError("abort returns only by raising")  # pragma: no cover


async def not_found(context: Context, message: str) -> NoReturn:
    await context.abort(grpc.StatusCode.NOT_FOUND, message)
    raise AssertionError("abort returns only by raising")  # pragma: no cover


async def answer(context: Context, operation: Awaitable[T]) -> T:
    """The operation's result; its `NotFound` aborts the call with NOT_FOUND."""
    try:
        return await operation
    except NotFound as exc:
        await not_found(context, str(exc))


async def require_ids(context: Context, **ids: str) -> None:
    """Every named id must be present, printable and at most MAX_ID_LENGTH characters."""
    for name, value in ids.items():
        if not value:
            await invalid(context, f"{name} is required")
        await check_optional_id(context, name, value)


async def check_optional_id(context: Context, name: str, value: str) -> None:
    if len(value) > MAX_ID_LENGTH or not value.isprintable():
        await invalid(context, f"{name} must be printable and at most {MAX_ID_LENGTH} characters")


async def check_optional_role(context: Context, value: str) -> None:
    if value and not is_role(value):
        await invalid(context, "role must be lower_snake_case, at most 64 characters (for example sdr)")


async def page_size(context: Context, requested: int, *, default: int, maximum: int) -> int:
    if not 0 <= requested <= maximum:
        await invalid(context, f"page_size must be 0..{maximum}")
    return requested or default


def encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def next_page_token(page: Page[T], key: Callable[[T], str]) -> str:
    """The token of the page after `page` (its last item's key), or "" when it is the last page."""
    return encode_token(key(page.items[-1])) if page.more else ""


async def decode_token(context: Context, token: str) -> str:
    if not token:
        return ""
    try:
        padded = token + "=" * (-len(token) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        await invalid(context, f"page_token {token!r} is not valid")


async def iso_date(context: Context, name: str, value: str) -> date | None:
    """The date, or None when the field is empty."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        await invalid(context, f"{name} {value!r} is not an ISO date (yyyy-mm-dd)")


async def time_zone(context: Context, name: str) -> tzinfo:
    """The IANA time zone (UTC when empty); INVALID_ARGUMENT when there is no such zone."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        await invalid(context, f"time_zone {name!r} is not an IANA time zone (e.g. Europe/Berlin)")
