"""google-api-python-client, run off the event loop: one Gmail and one Calendar service per worker
thread, credentials per user, every call paced, classified and (when transient) retried.

Why a thread pool: the SDK is synchronous and its HTTP object is not thread-safe
(googleapiclient docs/thread_safety.md). Each worker thread owns one HTTP object (`KeepAliveHttp`,
the part of `httplib2.Http` the SDK uses, without httplib2's per-request costs) and the services built
on it once, offline from the shipped discovery documents; a call borrows the thread's `Http` through
`AuthorizedHttp(credentials_of_user)`, so thousands of mailboxes share a few threads and a few
parsed discovery documents. Credentials are per user (`with_subject`) and shared by the threads:
google-auth refreshes them in place, and a concurrent refresh only costs a second token request.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.http import HttpRequest

from services.capture.providers.google.errors import (
    ErrorClass,
    GoogleFailure,
    Operation,
    classify_exception,
)
from services.capture.providers.google.quota import Api, QuotaTracker
from services.capture.providers.google.transport import KeepAliveHttp

T = TypeVar("T")

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
    max_workers: int = 16  # as capture's `google_api_threads`
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

    http: KeepAliveHttp | None = None
    services: Services | None = None


class Services:
    """What a request builder gets: the calling thread's Gmail and Calendar services, and their
    resources built once. `gmail.users()` builds a new Resource, with every method created from the
    discovery document, on each call (two thirds of capture's CPU per message when done per request),
    so builders use `messages`, `history`, `events`... rather than walking from the service."""

    def __init__(self, gmail: Any, calendar: Any) -> None:
        self.gmail = gmail
        self.calendar = calendar
        self.users = gmail.users()
        self.messages = self.users.messages()
        self.history = self.users.history()
        self.events = calendar.events()
        self.channels = calendar.channels()
        self._metadata_template: tuple[tuple[str, ...], HttpRequest] | None = None

    def message_metadata(self, message_id: str, headers: list[str]) -> HttpRequest:
        """messages.get(format=metadata, metadataHeaders=headers). The SDK builds the request once
        (per thread and header list); each message then gets a copy with its own id in the path, which
        skips the SDK's per-call parameter validation and URI-template expansion (a tenth of
        capture's CPU per message)."""
        cached = self._metadata_template
        if cached is None or cached[0] != tuple(headers):
            built = self.messages.get(
                userId="me", id=_PLACEHOLDER, format="metadata", metadataHeaders=headers
            )
            cached = self._metadata_template = (tuple(headers), built)
        template = cached[1]
        return HttpRequest(
            template.http,
            template.postproc,
            template.uri.replace(f"/messages/{_PLACEHOLDER}?", f"/messages/{quote(message_id, safe='')}?", 1),
            method=template.method,
            body=template.body,
            headers=dict(template.headers),
            methodId=template.methodId,
        )


_PLACEHOLDER = "gt-message-id"


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
        self._https: list[KeepAliveHttp] = []  # every thread's, closed by aclose()
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

    def _services(self) -> tuple[KeepAliveHttp, Services]:
        local = self._local
        if local.http is None:
            local.http = KeepAliveHttp(timeout_sec=self.settings.http_timeout_sec)
            with self._https_lock:
                self._https.append(local.http)
            local.services = Services(
                self._build("gmail", "v1", local.http, self.settings.gmail_endpoint),
                self._build("calendar", "v3", local.http, self.settings.calendar_endpoint),
            )
        assert local.services is not None
        return local.http, local.services

    @staticmethod
    def _build(name: str, version: str, http: KeepAliveHttp, endpoint: str | None) -> Any:
        return build(
            name,
            version,
            http=http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": endpoint} if endpoint else None,
        )

    def _execute_all(
        self,
        operation: Operation,
        credentials: service_account.Credentials,
        builders: Sequence[RequestBuilder],
        missing_ok: bool,
    ) -> tuple[list[dict[str, Any] | None], BaseException | None]:
        """In a worker thread: run the requests one after the other on the thread's connection.
        Returns the answers so far and the failure that stopped them (None when all ran)."""
        http, services = self._services()
        authorized = AuthorizedHttp(credentials, http=http)
        results: list[dict[str, Any] | None] = []
        for builder in builders:
            try:
                result = builder(services).execute(http=authorized, num_retries=0)
            except Exception as exc:
                if missing_ok and classify_exception(operation, exc).error_class is ErrorClass.NOT_FOUND:
                    results.append(None)
                    continue
                return results, exc
            results.append(result if isinstance(result, dict) else {})
        return results, None

    async def call(
        self, user: str, operation: Operation, request_builder: RequestBuilder, *, slot: Slot | None = None
    ) -> dict[str, Any]:
        """Run one API call for `user`; returns its JSON ({} for an empty 204), or raises
        `GoogleApiError`. A throttled user fails fast while its backoff lasts. `slot` replaces the
        client's own per-user concurrency limit (the caller then owns admission)."""
        (result,) = await self._run(user, operation, [request_builder], slot=slot, missing_ok=False)
        assert result is not None
        return result

    async def call_each(
        self,
        user: str,
        operation: Operation,
        request_builders: Sequence[RequestBuilder],
        *,
        slot: Slot | None = None,
    ) -> list[dict[str, Any] | None]:
        """Many calls of one operation for `user` (e.g. messages.get of a page of ids); answers in
        order, None for the ones that are gone (404). They run as `per_user_concurrency` sequences,
        each in one worker-thread job holding one admission slot: as many requests in flight as
        separate calls would have, for a fraction of the event-loop round trips (one job and one
        wake-up per sequence instead of per request). Raises `GoogleApiError` on any other failure."""
        if not request_builders:
            return []
        lanes = max(1, min(self.settings.per_user_concurrency, len(request_builders)))
        size = -(-len(request_builders) // lanes)
        chunks = [request_builders[i : i + size] for i in range(0, len(request_builders), size)]
        answers = await _all_or_cancel(
            [self._run(user, operation, chunk, slot=slot, missing_ok=True) for chunk in chunks]
        )
        return [a for chunk in answers for a in chunk]

    async def _run(
        self,
        user: str,
        operation: Operation,
        builders: Sequence[RequestBuilder],
        *,
        slot: Slot | None,
        missing_ok: bool,
    ) -> list[dict[str, Any] | None]:
        api: Api = "gmail" if operation.value.startswith("gmail.") else "calendar"
        method = operation.value.split(".", 1)[1]
        credentials = self._credentials_for(user)
        slots = self._slots.get(user.lower())
        if slots is None:
            slots = self._slots[user.lower()] = asyncio.Semaphore(self.settings.per_user_concurrency)
        loop = asyncio.get_running_loop()
        done: list[dict[str, Any] | None] = []
        attempt = 0
        while True:
            blocked = self.quota.blocked_for(user, api)
            if blocked > 0:
                failure = GoogleFailure(ErrorClass.THROTTLED, None, "backoff", "user is backing off", blocked)
                raise GoogleApiError(user, operation, failure)
            remaining = builders[len(done) :]
            async with slot() if slot is not None else slots:
                pause = self.quota.delay_before(user, api, method, calls=len(remaining))
                if pause > 0:
                    await asyncio.sleep(pause)
                results, error = await loop.run_in_executor(
                    self._executor, self._execute_all, operation, credentials, remaining, missing_ok
                )
            # Google charges failed calls too: everything that was sent counts.
            self.quota.record(user, api, method, calls=len(results) + (error is not None))
            done += results
            if error is None:
                self.quota.note_success(user, api)
                return done
            failure = classify_exception(operation, error)
            if failure.error_class is ErrorClass.THROTTLED:
                self.quota.note_throttled(user, api, failure.retry_after_sec)
            if failure.error_class is not ErrorClass.TRANSIENT or attempt >= self.settings.transient_retries:
                raise GoogleApiError(user, operation, failure) from error
            attempt += 1
            await asyncio.sleep(self.settings.transient_backoff_sec * 4 ** (attempt - 1))


async def _all_or_cancel(awaitables: Sequence[Awaitable[T]]) -> list[T]:
    """Run concurrently; on the first failure cancel the rest and raise that failure itself."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
