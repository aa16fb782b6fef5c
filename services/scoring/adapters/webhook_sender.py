"""Posts digests and alerts to a tenant's webhook, signed so the receiver can check where they come
from: X-Groundtruth-Signature = "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx

from services.scoring.ports.notifications import DeliveryFailed

TIMEOUT_SEC = 10.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class HttpWebhookSender:
    """See `WebhookSender`. One shared client; redirects are not followed (a webhook that moved is
    reconfigured, not chased)."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT_SEC, follow_redirects=False)

    async def send(self, url: str, secret: str, body: bytes) -> None:
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Groundtruth-Timestamp": stamp,
            "X-Groundtruth-Signature": signature(secret, stamp, body),
        }
        try:
            answer = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(type(exc).__name__) from exc
        if not 200 <= answer.status_code < 300:
            raise DeliveryFailed(f"HTTP {answer.status_code}")

    async def aclose(self) -> None:
        await self._client.aclose()
