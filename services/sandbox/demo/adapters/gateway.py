"""The demo's tenant admin and CRM plugin, talking to the gateway's public API like real ones do.

`TenantAdmin` uses the REST admin API with the tenant's admin key (configuration, capture policy,
connections, mailboxes, a plugin key). CRM events go through the plugin client
(`services.client`, gRPC) with that plugin key, at most 500 per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from groundtruth.crm.v1 import crm_pb2
from services.client import GroundtruthClient

PLUGIN_KEY_NAME = "demo CRM plugin"
MAX_BATCH = 500


class TenantAdmin:
    """REST admin calls of one tenant. Every method raises `httpx.HTTPStatusError` on a refusal."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http  # base_url = the gateway, Authorization = the admin key

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self._http.request(method, f"/v1/admin{path}", json=body)
        if response.is_error:
            raise httpx.HTTPStatusError(
                f"{method} {path}: {response.status_code} {response.text[:500]}",
                request=response.request,
                response=response,
            )
        return response.json() if response.content else None

    async def set_capture_policy(self, body: dict[str, Any]) -> None:
        await self._call("PUT", "/capture-policy", body)

    async def set_config(self, body: dict[str, Any]) -> None:
        await self._call("PUT", "/config", body)

    async def register_microsoft(
        self, *, connection_id: str, directory: str, client_id: str, secret: str
    ) -> None:
        await self._call("POST", "/connections/microsoft", {
            "connection_id": connection_id, "directory_tenant_id": directory,
            "client_id": client_id, "client_secret": secret,
        })  # fmt: skip

    async def register_google(self, *, connection_id: str, key: dict[str, Any], domain: str) -> None:
        await self._call("POST", "/connections/google", {
            "connection_id": connection_id, "service_account_key": key, "workspace_domain": domain,
        })  # fmt: skip

    async def upsert_mailboxes(self, connection_id: str, body: dict[str, Any]) -> None:
        await self._call("PUT", f"/connections/{connection_id}/mailboxes", body)

    async def sync_states(self) -> dict[str, str]:
        """Each mailbox's capture state (pending, backfilling, syncing, idle, throttled, error)."""
        answer = await self._call("GET", "/sync-status")
        return {m["mailbox"]: m.get("state", "") for m in answer.get("mailboxes", [])}

    async def plugin_key(self) -> str:
        """A fresh key for the demo's CRM plugin; the previous runs' keys of that name are revoked."""
        listed = await self._call("GET", "/api-keys")
        for key in listed["keys"]:
            if key["name"] == PLUGIN_KEY_NAME and key["revoked_at"] is None:
                await self._call("DELETE", f"/api-keys/{key['key_id']}")
        created = await self._call("POST", "/api-keys", {"name": PLUGIN_KEY_NAME, "role": "plugin"})
        secret: str = created["secret"]
        return secret


async def push_crm_events(client: GroundtruthClient, events: Sequence[crm_pb2.CrmEvent]) -> int:
    """Ingest `events` in order, in batches; returns how many the gateway accepted. A batch with a
    rejected event raises: the demo's events are all valid, so a rejection is a bug worth seeing."""
    accepted = 0
    for start in range(0, len(events), MAX_BATCH):
        answer = await client.ingest(events[start : start + MAX_BATCH])
        if answer.rejected:
            problems = [list(i.errors) for i in answer.items if i.errors][:3]
            raise ValueError(f"the gateway rejected {answer.rejected} demo CRM events: {problems}")
        accepted += answer.accepted
    return accepted
