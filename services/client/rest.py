"""`RestClient`: the gateway's public REST API (`/v1`) for admin tools such as the `groundtruth` CLI.

    from services.client.rest import RestClient

    with RestClient("https://gateway.example", api_key) as gt:
        for status in gt.sync_status()["mailboxes"]:
            ...

Answers are the API's JSON, unchanged (the schema is in the OpenAPI document at `/docs`), so a
script sees exactly the numbers the API serves. Failures are typed: `GatewayUnreachable` when no
answer came back, `ApiError` (with the RFC 9457 problem detail) for every 4xx/5xx. Reads are retried
on 429 and 503 honouring Retry-After; writes are sent once, so nothing is ever applied twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

JsonObject = dict[str, Any]
_RETRYABLE_STATUSES = {429, 503}
_MAX_RETRY_AFTER_SEC = 5.0
_LIST_PAGE_SIZE = 500


class GatewayUnreachable(Exception):
    """No HTTP answer came back: refused, DNS, TLS or timeout. `reason` says which in words."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot reach the gateway at {url} ({reason})")
        self.url = url
        self.reason = reason


class ApiError(Exception):
    """The gateway answered with an error status. `problem` is the RFC 9457 body (or a stand-in
    built from the status when the answer was not a problem document)."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem = dict(problem)
        self.title = str(problem.get("title") or "error")
        self.detail = str(problem.get("detail") or "")
        super().__init__(f"{status} {self.title}: {self.detail}" if self.detail else f"{status} {self.title}")


def _reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
            return "unknown host"
        if "certificate" in text or "ssl" in text:
            return f"TLS failed: {exc}"
        return str(exc) or "cannot connect"
    return str(exc) or type(exc).__name__


def _problem_of(response: httpx.Response) -> JsonObject:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and ("detail" in body or "title" in body):
        return body
    phrase = response.reason_phrase or "error"
    hint = "" if body is not None else " (the answer is not JSON: is the URL the gateway's?)"
    return {"title": phrase, "status": response.status_code, "detail": f"{phrase}{hint}"}


class RestClient:
    """One HTTP connection pool to the gateway, authenticated with one API key. Synchronous (a
    command-line tool waits anyway); not thread-safe; use as `with` or call `close()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout_sec: float = 15.0,
        read_attempts: int = 3,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._sleep = sleep
        self._read_attempts = max(1, read_attempts)
        self._http = httpx.Client(
            base_url=f"{self.base_url}/v1",
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=timeout_sec,
            transport=transport,
        )

    def __enter__(self) -> RestClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- transport ----------------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> Any:
        """One call; the decoded JSON answer (None for 204). Raises ApiError / GatewayUnreachable."""
        query = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        attempts = self._read_attempts if method == "GET" else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.request(method, path, params=query, json=body)
            except httpx.TransportError as exc:
                raise GatewayUnreachable(self.base_url, _reason(exc)) from exc
            if response.status_code in _RETRYABLE_STATUSES and attempt < attempts:
                self._sleep(self._retry_after(response, attempt))
                continue
            if response.status_code >= 400:
                raise ApiError(response.status_code, _problem_of(response))
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError as exc:
                raise ApiError(response.status_code, _problem_of(response)) from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    @staticmethod
    def _retry_after(response: httpx.Response, attempt: int) -> float:
        try:
            seconds = float(response.headers.get("Retry-After", ""))
        except ValueError:
            seconds = 0.5 * attempt
        return min(_MAX_RETRY_AFTER_SEC, max(0.0, seconds))

    def _all_pages(self, path: str, field: str, params: Mapping[str, Any]) -> JsonObject:
        """Every page of a paginated list, as one answer `{field: [...]}`."""
        items: list[Any] = []
        token = ""
        while True:
            page = self.request(
                "GET", path, params={**params, "page_size": _LIST_PAGE_SIZE, "page_token": token}
            )
            items += page.get(field) or []
            token = page.get("next_page_token") or ""
            if not token:
                return {field: items}

    # --- API keys -----------------------------------------------------------------------------------

    def list_keys(self) -> JsonObject:
        result: JsonObject = self.request("GET", "/admin/api-keys")
        return result

    def create_key(self, *, name: str, role: str, rep_id: str | None = None) -> JsonObject:
        body = {"name": name, "role": role, **({"rep_id": rep_id} if rep_id else {})}
        result: JsonObject = self.request("POST", "/admin/api-keys", body=body)
        return result

    def revoke_key(self, key_id: str) -> JsonObject:
        result: JsonObject = self.request("DELETE", f"/admin/api-keys/{quote(key_id, safe='')}")
        return result

    # --- connections and mailboxes ------------------------------------------------------------------

    def list_connections(self) -> JsonObject:
        result: JsonObject = self.request("GET", "/admin/connections")
        return result

    def register_microsoft(
        self,
        *,
        directory_tenant_id: str,
        client_id: str,
        client_secret: str | None = None,
        certificate: Mapping[str, str] | None = None,
        connection_id: str | None = None,
    ) -> JsonObject:
        """Give `client_secret`, or `certificate` = {private_key_pem, thumbprint, public_certificate_pem}."""
        body: JsonObject = {"directory_tenant_id": directory_tenant_id, "client_id": client_id}
        if connection_id:
            body["connection_id"] = connection_id
        if client_secret is not None:
            body["client_secret"] = client_secret
        if certificate is not None:
            body["certificate"] = dict(certificate)
        result: JsonObject = self.request("POST", "/admin/connections/microsoft", body=body)
        return result

    def register_google(
        self,
        *,
        service_account_key: Mapping[str, Any],
        workspace_domain: str,
        connection_id: str | None = None,
    ) -> JsonObject:
        body: JsonObject = {
            "service_account_key": dict(service_account_key),
            "workspace_domain": workspace_domain,
        }
        if connection_id:
            body["connection_id"] = connection_id
        result: JsonObject = self.request("POST", "/admin/connections/google", body=body)
        return result

    def delete_connection(self, connection_id: str) -> None:
        self.request("DELETE", f"/admin/connections/{quote(connection_id, safe='')}")

    def upsert_mailboxes(self, connection_id: str, mailboxes: list[tuple[str, str]]) -> JsonObject:
        """Assign (address, rep_id) pairs of the connection; at most 1,000 per call."""
        body = {"mailboxes": [{"address": a, "rep_id": r} for a, r in mailboxes]}
        result: JsonObject = self.request(
            "PUT", f"/admin/connections/{quote(connection_id, safe='')}/mailboxes", body=body
        )
        return result

    def remove_mailbox(self, address: str) -> None:
        self.request("DELETE", f"/admin/mailboxes/{quote(address, safe='')}")

    def sync_status(self, *, mailbox: str | None = None) -> JsonObject:
        result: JsonObject = self.request("GET", "/admin/sync-status", params={"mailbox": mailbox})
        return result

    def trigger_sync(self, *, mailbox: str | None = None, full_resync: bool = False) -> JsonObject:
        body: JsonObject = {"full_resync": full_resync, **({"mailbox": mailbox} if mailbox else {})}
        result: JsonObject = self.request("POST", "/admin/sync", body=body)
        return result

    def erase_rep(self, rep_id: str) -> JsonObject:
        result: JsonObject = self.request("POST", f"/admin/reps/{quote(rep_id, safe='')}/erasure")
        return result

    # --- scores and reports -------------------------------------------------------------------------

    def rep_scores(self, *, team_id: str | None = None, role: str | None = None) -> JsonObject:
        """Every rep's score (all pages) of a team or of the tenant, of one role when `role` is given."""
        return self._all_pages("/scores", "scores", {"team_id": team_id, "role": role})

    def rep_score(self, rep_id: str) -> JsonObject:
        result: JsonObject = self.request("GET", f"/reps/{quote(rep_id, safe='')}/score")
        return result

    def team_health(self, *, team_id: str | None = None) -> JsonObject:
        result: JsonObject = self.request("GET", "/team-health", params={"team_id": team_id})
        return result

    def diagnostics(self, *, team_id: str | None = None, rep_id: str | None = None) -> JsonObject:
        result: JsonObject = self.request(
            "GET", "/diagnostics", params={"team_id": team_id, "rep_id": rep_id}
        )
        return result

    def field_friction(self, *, team_id: str | None = None) -> JsonObject:
        result: JsonObject = self.request("GET", "/field-friction", params={"team_id": team_id})
        return result

    def readiness(self) -> JsonObject:
        result: JsonObject = self.request("GET", "/readiness")
        return result

    def opportunities(
        self, *, team_id: str | None = None, rep_id: str | None = None, review_ready: bool = False
    ) -> JsonObject:
        """Every open opportunity (all pages), optionally only the review-ready ones."""
        params = {"team_id": team_id, "rep_id": rep_id, "review_ready": "true" if review_ready else None}
        return self._all_pages("/opportunities", "opportunities", params)


def iter_batches(items: list[tuple[str, str]], size: int = 1_000) -> Iterator[list[tuple[str, str]]]:
    """Mailbox assignments in batches the API accepts."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
