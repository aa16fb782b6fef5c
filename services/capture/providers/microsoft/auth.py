"""Access tokens for Graph from MSAL's client-credentials flow, one app object per connection.

MSAL is synchronous, so every call runs in a worker thread. Each connection gets one
`ConfidentialClientApplication` for the life of the process (its token cache and throttle cache
stay warm); re-registering the connection (a new version) builds a new one. Concurrent mailboxes of
the same connection share one in-flight acquisition, and the token is reused until shortly before
MSAL itself would refresh it, so MSAL is consulted about once per token lifetime, not per request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any

import msal
import requests

from services.capture.domain.faults import AccessRevoked, CredentialRevoked, ProviderRejected, Unavailable
from services.capture.ports import ConnectionInfo

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# MSAL treats a token with less than 5 minutes left as expired; stop reusing ours a little before.
_REFRESH_MARGIN_SEC = 330.0
# AAD errors that mean "the app's credential itself will not work until an admin changes something".
_APP_REVOKED_ERRORS = {"invalid_client", "unauthorized_client"}
# ... and those that mean the grant or the directory refuses (also for an admin to fix).
_REVOKED_ERRORS = {"invalid_grant", "invalid_request", "invalid_tenant"}


@dataclass
class _App:
    version: str
    app: msal.ConfidentialClientApplication
    session: requests.Session


@dataclass(frozen=True)
class _Token:
    version: str
    value: str
    reuse_until: float


def _credential(connection: ConnectionInfo) -> str | dict[str, str]:
    cred = connection.credential
    if cred.get("kind") == "certificate":
        out = {"private_key": cred["private_key_pem"], "thumbprint": cred["thumbprint"]}
        if cred.get("public_certificate_pem"):
            out["public_certificate"] = cred["public_certificate_pem"]
        return out
    return cred["client_secret"]


class MsalTokens:
    def __init__(self, *, authority_base: str, ca_bundle: str = "", timeout_sec: float = 30.0) -> None:
        self._authority_base = authority_base.rstrip("/")
        self._ca_bundle = ca_bundle
        self._timeout = timeout_sec
        self._apps: dict[str, _App] = {}
        self._apps_lock = threading.Lock()
        self._tokens: dict[str, _Token] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.acquisitions = 0  # MSAL calls made (for tests and the bench)

    async def token(self, connection: ConnectionInfo, *, rejected: str | None = None) -> str:
        """A bearer token for Graph; raises `CredentialRevoked`, `AccessRevoked`, `ProviderRejected`
        or `Unavailable`. `rejected`: the token Graph just refused (401): the answer is a newly issued
        one, never that token again from our cache or MSAL's."""
        cached = self._usable(connection)
        if cached is not None and cached != rejected:
            return cached
        lock = self._locks.setdefault(connection.connection_id, asyncio.Lock())
        async with lock:
            cached = self._usable(connection)
            if cached is not None and cached != rejected:
                return cached  # another mailbox of the connection already fetched a new one
            result = await asyncio.to_thread(self._acquire, connection, rejected)
            token = _Token(
                connection.version,
                str(result["access_token"]),
                time.monotonic() + max(float(result.get("expires_in", 3599)) - _REFRESH_MARGIN_SEC, 30.0),
            )
            self._tokens[connection.connection_id] = token
            return token.value

    def _usable(self, connection: ConnectionInfo) -> str | None:
        token = self._tokens.get(connection.connection_id)
        if token is None or token.version != connection.version or time.monotonic() >= token.reuse_until:
            return None
        return token.value

    def _app(self, connection: ConnectionInfo) -> msal.ConfidentialClientApplication:
        with self._apps_lock:
            current = self._apps.get(connection.connection_id)
            if current is not None and current.version == connection.version:
                return current.app
            if current is not None:
                current.session.close()
            session = requests.Session()
            session.trust_env = False  # REQUESTS_CA_BUNDLE would silently override `verify`
            session.verify = self._ca_bundle or True
            app = msal.ConfidentialClientApplication(
                connection.client_id,
                client_credential=_credential(connection),
                authority=f"{self._authority_base}/{connection.directory_tenant_id}",
                http_client=session,
                instance_discovery=False,
                azure_region=False,
                timeout=self._timeout,
            )
            self._apps[connection.connection_id] = _App(connection.version, app, session)
            return app

    def _acquire(self, connection: ConnectionInfo, rejected: str | None = None) -> dict[str, Any]:
        """Runs in a worker thread. With `rejected`, MSAL's cache is emptied first: it would hand
        back the very token Graph refused until that token's own expiry."""
        self.acquisitions += 1
        try:
            app = self._app(connection)
            if rejected is not None:
                cache = app.token_cache
                for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                    cache.remove_at(entry)
            result: dict[str, Any] = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        except requests.RequestException as exc:
            raise Unavailable(f"token endpoint unreachable: {type(exc).__name__}") from exc
        except msal.exceptions.MsalServiceError as exc:
            raise Unavailable(f"token endpoint failed: {exc}") from exc
        except Exception as exc:
            # MSAL refuses a malformed or non-https authority, or a key it cannot sign with.
            raise ProviderRejected(f"cannot use this connection's credential: {type(exc).__name__}") from exc
        if "access_token" in result:
            return result
        error = str(result.get("error", "unknown_error"))
        description = str(result.get("error_description", "")).split("\n", 1)[0][:200]
        if error in _APP_REVOKED_ERRORS:
            raise CredentialRevoked(f"{error}: {description}")
        if error in _REVOKED_ERRORS:
            raise AccessRevoked(f"{error}: {description}")
        raise Unavailable(f"{error}: {description}")

    def close(self) -> None:
        with self._apps_lock:
            for app in self._apps.values():
                app.session.close()
            self._apps.clear()
