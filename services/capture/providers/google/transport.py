"""The HTTP object google-api-python-client and google-auth call through, leaner than `httplib2.Http`.

googleapiclient executes a request as `http.request(uri, method, body=..., headers=...)` and expects
`(httplib2.Response, bytes)`; google_auth_httplib2's `AuthorizedHttp` and its token refresh use the
same call. That is the whole interface this class implements, over one keep-alive `http.client`
connection per origin. Why not httplib2 itself: on every request it converts the URI character by
character (`iri2uri`), normalizes headers and runs its cache logic, which cost capture about a
quarter of its CPU per Gmail message (one request each), more than the HTTP exchange itself.

What it does not do, because Google's APIs do not need it: caching, redirects, authentication
schemes, proxies. Responses compressed with gzip or deflate (the SDK asks for them) are decoded.
Not thread-safe, like `httplib2.Http`: each worker thread owns one.
"""

from __future__ import annotations

import http.client
import ssl
import zlib
from typing import Any
from urllib.parse import urlsplit

import httplib2

_Origin = tuple[str, str, int]
# A kept-alive connection the server closed in the meantime fails like this before any answer.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class KeepAliveHttp:
    def __init__(self, *, timeout_sec: float = 30.0, ssl_context: ssl.SSLContext | None = None) -> None:
        self.timeout = timeout_sec
        self._ssl = ssl_context
        self._connections: dict[_Origin, http.client.HTTPConnection] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> KeepAliveHttp:
        """A copy shares nothing, connections least of all. google-auth deep-copies the transport
        of a request before some background work (its regional-access-boundary lookup); a copy that
        fails (sockets cannot be copied) makes it try again on every request, a copy of httplib2's
        state would share its connections across threads."""
        return KeepAliveHttp(timeout_sec=self.timeout, ssl_context=self._ssl)

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        **_: Any,
    ) -> tuple[httplib2.Response, bytes]:
        parts = urlsplit(uri)
        scheme = parts.scheme or "http"
        origin = (scheme, parts.hostname or "", parts.port or (443 if scheme == "https" else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        # Only a request that can safely be sent twice is retried on a stale connection.
        attempts = 2 if method in ("GET", "HEAD") else 1
        for attempt in range(1, attempts + 1):
            connection = self._connection(origin)
            try:
                connection.request(method, target, body=body, headers=headers or {})
                answer = connection.getresponse()
                content = answer.read()
            except _STALE:
                self._drop(origin)
                if attempt == attempts:
                    raise
                continue
            except BaseException:
                self._drop(origin)
                raise
            if answer.will_close:
                self._drop(origin)
            response = httplib2.Response(answer)
            return response, _decoded(response, content)
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self, origin: _Origin) -> http.client.HTTPConnection:
        connection = self._connections.get(origin)
        if connection is None:
            scheme, host, port = origin
            if scheme == "https":
                context = self._ssl or ssl.create_default_context()
                connection = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
            else:
                connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
            self._connections[origin] = connection
        return connection

    def _drop(self, origin: _Origin) -> None:
        connection = self._connections.pop(origin, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for origin in list(self._connections):
            self._drop(origin)


def _decoded(response: httplib2.Response, content: bytes) -> bytes:
    encoding = response.get("content-encoding", "").lower()
    if encoding == "gzip":
        content = zlib.decompress(content, zlib.MAX_WBITS | 16)
    elif encoding == "deflate":
        content = zlib.decompress(content)
    else:
        return content
    response["-content-encoding"] = response.pop("content-encoding")
    response["content-length"] = str(len(content))
    return content
