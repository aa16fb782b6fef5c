"""Failures as one line a person can act on, with the exit code scripts can rely on (pure)."""

from __future__ import annotations

import json

from services.cli.terminal import EXIT_FAILED, EXIT_INTERRUPTED, CliError
from services.client.rest import ApiError, GatewayUnreachable

_HINTS = {
    401: "the gateway refused the API key",
    403: "this key's role may not do that",
    404: "not found",
    409: "conflicts with the current state",
    413: "the request is too large",
    429: "rate limited; try again in a moment",
    503: "a backing service is unavailable; try again shortly",
}


def _api_message(exc: ApiError) -> str:
    hint = _HINTS.get(exc.status) or (
        "the gateway failed" if exc.status >= 500 else "the request was refused"
    )
    detail = exc.detail.strip()
    if exc.status == 422 and "errors" in exc.problem and not detail:
        detail = json.dumps(exc.problem["errors"])
    message = f"{hint} ({exc.status}): {detail}" if detail else f"{hint} ({exc.status})"
    return message + ("; check --key or GT_API_KEY" if exc.status == 401 else "")


def describe(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for a failure of a command."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted"
    if isinstance(exc, GatewayUnreachable):
        return EXIT_FAILED, f"{exc}; is the gateway running? (set --url or GT_URL)"
    if isinstance(exc, ApiError):
        return EXIT_FAILED, _api_message(exc)
    if isinstance(exc, CliError):
        return EXIT_FAILED, str(exc)
    if isinstance(exc, OSError):
        name = f" {exc.filename}" if exc.filename else ""
        return EXIT_FAILED, f"cannot use{name}: {exc.strerror or exc}"
    return EXIT_FAILED, f"unexpected {type(exc).__name__}: {exc} (set GT_DEBUG=1 for the traceback)"
