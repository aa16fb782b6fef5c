"""Throttling, revoked delegation, bad keys and scopes: each surfaces as its own class, per user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.capture.providers.google.client import (
    GoogleApiError,
    GoogleApiSettings,
    GoogleWorkspaceClient,
    Services,
)
from services.capture.providers.google.errors import ErrorClass, Operation
from services.sandbox.emulators.google import DOMAIN, GoogleEmulator, running_google_emulator
from tests.integration.capture.google_support import calendar, client_for, full_mail, mail_ids, truth_mail_ids

pytestmark = pytest.mark.integration

ANA, BEN, CORA = (f"{n}@{DOMAIN}" for n in ("ana.reyes", "ben.okafor", "cora.lindqvist"))


@pytest.fixture
async def emulator() -> AsyncIterator[GoogleEmulator]:
    async with running_google_emulator() as emulator:
        yield emulator


@pytest.fixture
async def client(emulator: GoogleEmulator) -> AsyncIterator[GoogleWorkspaceClient]:
    async with client_for(emulator) as client:
        yield client


def profile(s: Services) -> Any:
    return s.gmail.users().getProfile(userId="me")


def events(s: Services) -> Any:
    return s.calendar.events().list(calendarId="primary", maxResults=1)


async def failure_of(
    client: GoogleWorkspaceClient, user: str, operation: Operation, request: Any
) -> GoogleApiError:
    with pytest.raises(GoogleApiError) as caught:
        await client.call(user, operation, request)
    return caught.value


@pytest.mark.parametrize(
    ("api", "kind", "status"),
    [
        pytest.param("gmail", "userRateLimitExceeded", 403, id="gmail 403 userRateLimitExceeded"),
        pytest.param("gmail", "rateLimitExceeded", 429, id="gmail 429 rateLimitExceeded"),
        pytest.param("calendar", "rateLimitExceeded", 403, id="calendar 403 rateLimitExceeded"),
        pytest.param("calendar", "userRateLimitExceeded", 403, id="calendar 403 userRateLimitExceeded"),
    ],
)
async def test_rate_limits_back_off_only_the_throttled_user(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient, api: str, kind: str, status: int
) -> None:
    emulator.world.inject_fault(ANA, api, kind, status=status)  # type: ignore[arg-type]
    operation, request = (
        (Operation.GMAIL_PROFILE, profile) if api == "gmail" else (Operation.CALENDAR_LIST, events)
    )
    throttled = await failure_of(client, ANA, operation, request)
    assert (throttled.error_class, throttled.failure.status, throttled.failure.reason) == (
        ErrorClass.THROTTLED,
        status,
        kind,
    )
    assert client.quota.blocked_for(ANA, api) > 0  # type: ignore[arg-type]

    # While Ana backs off, her calls fail fast without reaching Google; Ben's go through.
    served = emulator.world.served[(ANA, operation.value.split(".", 1)[1])]
    fast = await failure_of(client, ANA, operation, request)
    assert fast.error_class is ErrorClass.THROTTLED and fast.failure.status is None
    assert emulator.world.served[(ANA, operation.value.split(".", 1)[1])] == served
    assert await client.call(BEN, operation, request)


async def test_server_errors_are_retried(emulator: GoogleEmulator, client: GoogleWorkspaceClient) -> None:
    emulator.world.inject_fault(CORA, "gmail", "serverError", count=2, status=503)
    assert (await client.call(CORA, Operation.GMAIL_PROFILE, profile))["emailAddress"] == CORA
    assert emulator.world.faults.pending(CORA, "gmail") == 0, "both failures were served and retried"

    emulator.world.inject_fault(CORA, "calendar", "serverError", count=3, status=500)
    failed = await failure_of(client, CORA, Operation.CALENDAR_LIST, events)
    assert (failed.error_class, failed.failure.status) == (ErrorClass.TRANSIENT, 500)


async def test_emulator_enforces_the_per_user_quota(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient
) -> None:
    emulator.world.quotas.calendar_requests_per_minute = 3
    for _ in range(3):
        await client.call(ANA, Operation.CALENDAR_LIST, events)
    refused = await failure_of(client, ANA, Operation.CALENDAR_LIST, events)
    assert (refused.error_class, refused.failure.reason) == (ErrorClass.THROTTLED, "userRateLimitExceeded")
    assert await client.call(BEN, Operation.CALENDAR_LIST, events), "the limit is per user"


async def test_revoked_delegation_fails_one_mailbox_while_others_flow(
    emulator: GoogleEmulator, client: GoogleWorkspaceClient
) -> None:
    assert await client.call(ANA, Operation.GMAIL_PROFILE, profile), "Ana holds a valid access token"
    emulator.world.set_delegation(ANA, granted=False)

    mail_failure, calendar_failure, ben_mail = await asyncio.gather(
        failure_of(client, ANA, Operation.GMAIL_PROFILE, profile),
        failure_of(client, ANA, Operation.CALENDAR_LIST, events),
        full_mail(client, BEN),
    )
    for failure in (mail_failure, calendar_failure):
        assert (failure.error_class, failure.failure.reason) == (
            ErrorClass.UNAUTHORIZED,
            "unauthorized_client",
        )
    assert mail_ids(ben_mail) == truth_mail_ids(emulator, BEN)

    emulator.world.set_delegation(ANA, granted=True)
    assert mail_ids(await full_mail(client, ANA)) == truth_mail_ids(emulator, ANA)


async def test_a_key_the_emulator_did_not_issue_is_refused(emulator: GoogleEmulator) -> None:
    forged = dict(emulator.key_file())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged["private_key"] = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings = GoogleApiSettings(
        gmail_endpoint=emulator.base_url, calendar_endpoint=emulator.calendar_endpoint
    )
    async with GoogleWorkspaceClient(forged, settings) as client:
        refused = await failure_of(client, ANA, Operation.GMAIL_PROFILE, profile)
    assert refused.error_class is ErrorClass.UNAUTHORIZED
    assert (refused.failure.reason, refused.failure.message) == ("invalid_grant", "Invalid JWT Signature.")


async def test_scopes_beyond_the_delegation_are_refused(emulator: GoogleEmulator) -> None:
    scopes = ("https://www.googleapis.com/auth/gmail.send",)
    async with client_for(emulator, scopes=scopes) as client:
        refused = await failure_of(client, ANA, Operation.GMAIL_PROFILE, profile)
    assert (refused.error_class, refused.failure.reason) == (ErrorClass.UNAUTHORIZED, "unauthorized_client")


async def test_metadata_scope_cannot_search(emulator: GoogleEmulator, client: GoogleWorkspaceClient) -> None:
    def search(s: Services) -> Any:
        return s.gmail.users().messages().list(userId="me", q="after:1700000000")

    refused = await failure_of(client, ANA, Operation.GMAIL_LIST, search)
    assert (refused.error_class, refused.failure.status) == (ErrorClass.UNAUTHORIZED, 403)
    assert "Metadata scope" in refused.failure.message


async def test_api_calls_need_a_bearer_token(emulator: GoogleEmulator) -> None:
    async with httpx.AsyncClient(base_url=emulator.base_url, trust_env=False) as http:
        missing = await http.get("/gmail/v1/users/me/profile")
        forged = await http.get(
            "/calendar/v3/calendars/primary/events", headers={"Authorization": "Bearer nope"}
        )
        bad_grant = await http.post("/token", data={"grant_type": "password", "assertion": "x"})
        junk = await http.post(
            "/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "a.b.c"}
        )
    for response in (missing, forged):
        assert response.status_code == 401
        assert response.json()["error"]["errors"][0]["reason"] == "authError"
    assert (bad_grant.status_code, bad_grant.json()["error"]) == (400, "unsupported_grant_type")
    assert (junk.status_code, junk.json()["error"]) == (400, "invalid_grant")


async def test_calendar_rejects_a_window_with_a_sync_token(client: GoogleWorkspaceClient) -> None:
    token = (await calendar(client, ANA))[-1].cursor.sync_token

    def windowed(s: Services) -> Any:
        return s.calendar.events().list(calendarId="primary", syncToken=token, timeMin="2026-01-01T00:00:00Z")

    refused = await failure_of(client, ANA, Operation.CALENDAR_LIST, windowed)
    assert (refused.error_class, refused.failure.status) == (ErrorClass.PERMANENT, 400)
