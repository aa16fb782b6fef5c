"""Failures become one line and an exit code."""

from __future__ import annotations

import pytest

from services.cli.errors import describe
from services.cli.terminal import CliError
from services.client.rest import ApiError, GatewayUnreachable


def problem(status: int, detail: str, **extra: object) -> ApiError:
    return ApiError(
        status, {"type": "about:blank", "title": "t", "status": status, "detail": detail, **extra}
    )


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        pytest.param(
            GatewayUnreachable("http://gw:8080", "connection refused"),
            1,
            "cannot reach the gateway at http://gw:8080 (connection refused); is the gateway running? "
            "(set --url or GT_URL)",
            id="unreachable",
        ),
        pytest.param(
            problem(401, "the API key is malformed"),
            1,
            "the gateway refused the API key (401): the API key is malformed; check --key or GT_API_KEY",
            id="401",
        ),
        pytest.param(
            problem(403, "a rep key cannot admin.sync"),
            1,
            "this key's role may not do that (403): a rep key cannot admin.sync",
            id="403",
        ),
        pytest.param(problem(404, "no connection 'x'"), 1, "not found (404): no connection 'x'", id="404"),
        pytest.param(
            problem(422, "the request is not valid: body.name: too long"),
            1,
            "the request was refused (422): the request is not valid: body.name: too long",
            id="422 shows the problem detail",
        ),
        pytest.param(
            problem(422, "", errors=[{"location": "body", "message": "bad"}]),
            1,
            'the request was refused (422): [{"location": "body", "message": "bad"}]',
            id="422 without detail shows the errors",
        ),
        pytest.param(
            problem(409, "version 3 is not 2"), 1, "conflicts with the current state (409)", id="409"
        ),
        pytest.param(problem(500, ""), 1, "the gateway failed (500)", id="500"),
        pytest.param(problem(503, "scoring is down"), 1, "a backing service is unavailable", id="503"),
        pytest.param(CliError("no API key"), 1, "no API key", id="user error"),
        pytest.param(
            FileNotFoundError(2, "No such file", "x.csv"), 1, "cannot use x.csv: No such file", id="os"
        ),
        pytest.param(KeyboardInterrupt(), 130, "interrupted", id="ctrl-c"),
        pytest.param(ValueError("boom"), 1, "unexpected ValueError: boom (set GT_DEBUG=1", id="bug"),
    ],
)
def test_failures_are_one_line_with_an_exit_code(exc: BaseException, code: int, message: str) -> None:
    got_code, got_message = describe(exc)
    assert got_code == code
    assert got_message.startswith(message) or message in got_message
    assert "\n" not in got_message
