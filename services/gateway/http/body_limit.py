"""Refuses request bodies above a size with 413, before the application reads them into memory."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """ASGI middleware: a declared Content-Length above `max_bytes` is refused at once; a chunked
    body is counted as it streams in and refused as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        has_body = False
        for name, value in scope.get("headers", ()):
            if name == b"transfer-encoding":
                has_body = True
            elif name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await _refuse(send, 400, "the Content-Length header is not a number")
                    return
                if declared > self._max_bytes:
                    await _refuse(send, 413, self._too_large())
                    return
                has_body = declared > 0
        if not has_body:  # HTTP/1.1: no length and no chunking means no body; nothing to count
            await self._app(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max_bytes:
                    raise HTTPException(413, self._too_large())
            return message

        await self._app(scope, counted, send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self._max_bytes} bytes"


async def _refuse(send: Send, status: int, detail: str) -> None:
    # Imported here: problems imports the schemas, which this low-level module should not need early.
    from services.gateway.http.problems import problem

    response = problem(status, detail)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
