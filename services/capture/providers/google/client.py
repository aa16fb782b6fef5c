"""google-api-python-client, run off the event loop: one Gmail and one Calendar service per worker
thread, credentials per user, every call paced, classified and (when transient) retried.

Why a thread pool: the SDK is synchronous and its `httplib2.Http` is not thread-safe
(googleapiclient docs/thread_safety.md). Each worker thread owns one `Http` and the services built
on it once, offline from the shipped discovery documents; a call borrows the thread's `Http` through
`AuthorizedHttp(credentials_of_user)`, so thousands of mailboxes share a few threads and a few
parsed discovery documents. Credentials are per user (`with_subject`) and shared by the threads:
google-auth refreshes them in place, and a concurrent refresh only costs a second token request.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httplib2
from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build

from services.capture.providers.google.errors import (
    ErrorClass,
    GoogleFailure,
    Operation,
    classify_exception,
)
from services.capture.providers.google.quota import Api, QuotaTracker

# Least privilege: metadata only (no bodies can be read with these) and read-only calendars.
DEFAULT_SCOPES = (
    "https://www.googleapis.com/auth/gmail.metadata",
    "https://www.googleapis.com/auth/calendar.readonly",
)


@dataclass(frozen=True)
class GoogleApiSettings:
    """Where Google is (None: the real Google) and how hard to use it. Endpoints follow the SDK's
    `api_endpoint` rule: Gmail's is the origin; Calendar's must end in /calendar/v3/."""

    token_uri: str | None = None  # None: the key file's token_uri
    gmail_endpoint: str | None = None
    calendar_endpoint: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    max_workers: int = 8
    per_user_concurrency: int = 4
    http_timeout_sec: float = 30.0
    transient_retries: int = 2
    transient_backoff_sec: float = 0.2


class GoogleApiError(Exception):
    """A Google call that failed, already classified. Raised by every coroutine of this package."""

    def __init__(self, user: str, operation: Operation, failure: GoogleFailure) -> None:
        status = f"{failure.status} {failure.reason}"
        super().__init__(f"{operation} for {user}: {failure.error_class} ({status}) {failure.message}")
        self.user = user
        self.operation = operation
        self.failure = failure

    @property
    def error_class(self) -> ErrorClass:
        return self.failure.error_class


class _ThreadServices(threading.local):
    """Per worker thread: its own Http and the services built on it (lazily, once)."""

    http: httplib2.Http | None = None
    gmail: Any = None
    calendar: Any = None


class Services:
    """What a request builder gets: the calling thread's Gmail and Calendar services."""

    def __init__(self, gmail: Any, calendar: Any) -> None:
        self.gmail = gmail
        self.calendar = calendar


RequestBuilder = Callable[[Services], Any]  # returns a googleapiclient HttpRequest
# Admission of one request (the capture framework's per-mailbox `RequestGate.slot`); it may raise
# instead of waiting (a paused mailbox), which propagates out of `call` unchanged.
Slot = Callable[[], AbstractAsyncContextManager[None]]


class GoogleWorkspaceClient:
    """All Google calls of one connection (one service-account key with domain-wide delegation).

    Coroutines may be called concurrently for many users from one event loop; each user gets at most
    `per_user_concurrency` calls in flight and is paced by the `QuotaTracker`. Use as an async
    context manager, or call `aclose()`, to stop the worker threads.
    """

    def __init__(
        self,
        key_info: Mapping[str, str],
        settings: GoogleApiSettings | None = None,
        *,
        quota: QuotaTracker | None = None,
        executor: ThreadPoolExecutor | None = None,
    ) -> None:
        self.settings = settings or GoogleApiSettings()
        info = dict(key_info)
        if self.settings.token_uri:
            info["token_uri"] = self.settings.token_uri
        self._base_credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=list(self.settings.scopes)
        )
        self.service_account_email: str = self._base_credentials.service_account_email
        self.quota = quota or QuotaTracker()
        self._credentials: dict[str, service_account.Credentials] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._local = _ThreadServices()
        self._https: list[httplib2.Http] = []  # every thread's, closed by aclose()
        self._https_lock = threading.Lock()
        # A shared executor (several connections, one pool) stays open: its owner shuts it down.
        self._owns_executor = executor is None
        self._executor = executor or ThreadPoolExecutor(
            self.settings.max_workers, thread_name_prefix="google-api"
        )

    async def __aenter__(self) -> GoogleWorkspaceClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the worker threads, then close their connections (no thread uses them any more)."""
        if self._owns_executor:
            await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
        with self._https_lock:
            for http in self._https:
                http.close()
            self._https.clear()

    def _credentials_for(self, user: str) -> service_account.Credentials:
        user = user.lower()
        credentials = self._credentials.get(user)
        if credentials is None:
            credentials = self._credentials[user] = self._base_credentials.with_subject(user)
        return credentials

    def _services(self) -> tuple[httplib2.Http, Services]:
        local = self._local
        if local.http is None:
            local.http = httplib2.Http(timeout=self.settings.http_timeout_sec)
            with self._https_lock:
                self._https.append(local.http)
            local.gmail = self._build("gmail", "v1", local.http, self.settings.gmail_endpoint)
            local.calendar = self._build("calendar", "v3", local.http, self.settings.calendar_endpoint)
        return local.http, Services(local.gmail, local.calendar)

    @staticmethod
    def _build(name: str, version: str, http: httplib2.Http, endpoint: str | None) -> Any:
        return build(
            name,
            version,
            http=http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": endpoint} if endpoint else None,
        )

    def _execute(self, credentials: service_account.Credentials, request_builder: RequestBuilder) -> Any:
        http, services = self._services()
        request = request_builder(services)
        return request.execute(http=AuthorizedHttp(credentials, http=http), num_retries=0)

    async def call(
        self, user: str, operation: Operation, request_builder: RequestBuilder, *, slot: Slot | None = None
    ) -> dict[str, Any]:
        """Run one API call for `user`; returns its JSON ({} for an empty 204), or raises
        `GoogleApiError`. A throttled user fails fast while its backoff lasts. `slot` replaces the
        client's own per-user concurrency limit (the caller then owns admission)."""
        api: Api = "gmail" if operation.value.startswith("gmail.") else "calendar"
        method = operation.value.split(".", 1)[1]
        credentials = self._credentials_for(user)
        slots = self._slots.get(user.lower())
        if slots is None:
            slots = self._slots[user.lower()] = asyncio.Semaphore(self.settings.per_user_concurrency)
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            blocked = self.quota.blocked_for(user, api)
            if blocked > 0:
                failure = GoogleFailure(ErrorClass.THROTTLED, None, "backoff", "user is backing off", blocked)
                raise GoogleApiError(user, operation, failure)
            async with slot() if slot is not None else slots:
                pause = self.quota.delay_before(user, api, method)
                if pause > 0:
                    await asyncio.sleep(pause)
                self.quota.record(user, api, method)
                try:
                    result = await loop.run_in_executor(
                        self._executor, self._execute, credentials, request_builder
                    )
                except Exception as exc:
                    failure = classify_exception(operation, exc)
                    if failure.error_class is ErrorClass.THROTTLED:
                        self.quota.note_throttled(user, api, failure.retry_after_sec)
                    retry = (
                        failure.error_class is ErrorClass.TRANSIENT
                        and attempt < self.settings.transient_retries
                    )
                    if not retry:
                        raise GoogleApiError(user, operation, failure) from exc
                else:
                    self.quota.note_success(user, api)
                    return result if isinstance(result, dict) else {}
            attempt += 1
            await asyncio.sleep(self.settings.transient_backoff_sec * 4 ** (attempt - 1))
