"""Client of capture's CaptureAdmin service.

Every request carries the caller's tenant. Secrets (client secrets, certificate keys, service-account
keys) pass through to capture and are never logged; capture's contract never returns them.
"""

from __future__ import annotations

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.capture.v1 import capture_pb2_grpc
from services.gateway.adapters.upstream import UpstreamChannel


class CaptureClient:
    """Owns one channel to capture; `close()` releases it. Methods raise gateway errors."""

    def __init__(self, target: str, *, timeout_sec: float) -> None:
        self._upstream = UpstreamChannel("capture", target, timeout_sec=timeout_sec)
        self._admin = capture_pb2_grpc.CaptureAdminStub(self._upstream.channel)

    async def close(self) -> None:
        await self._upstream.close()

    async def reachable(self) -> bool:
        return await self._upstream.reachable()

    async def register_microsoft(self, request: c.RegisterMicrosoftConnectionRequest) -> c.Connection:
        return await self._upstream.call(self._admin.RegisterMicrosoftConnection, request)

    async def register_google(self, request: c.RegisterGoogleConnectionRequest) -> c.Connection:
        return await self._upstream.call(self._admin.RegisterGoogleConnection, request)

    async def list_connections(self, *, tenant_id: str) -> c.ListConnectionsResponse:
        return await self._upstream.call(
            self._admin.ListConnections, c.ListConnectionsRequest(tenant_id=tenant_id)
        )

    async def delete_connection(self, *, tenant_id: str, connection_id: str) -> c.DeleteConnectionResponse:
        request = c.DeleteConnectionRequest(tenant_id=tenant_id, connection_id=connection_id)
        return await self._upstream.call(self._admin.DeleteConnection, request)

    async def upsert_mailboxes(self, request: c.UpsertMailboxesRequest) -> c.UpsertMailboxesResponse:
        return await self._upstream.call(self._admin.UpsertMailboxes, request)

    async def remove_mailbox(self, *, tenant_id: str, address: str) -> c.RemoveMailboxResponse:
        request = c.RemoveMailboxRequest(tenant_id=tenant_id, address=address)
        return await self._upstream.call(self._admin.RemoveMailbox, request)

    async def get_sync_status(self, *, tenant_id: str, mailbox: str) -> c.GetSyncStatusResponse:
        request = c.GetSyncStatusRequest(tenant_id=tenant_id, mailbox=mailbox)
        return await self._upstream.call(self._admin.GetSyncStatus, request)

    async def trigger_sync(self, *, tenant_id: str, mailbox: str, full_resync: bool) -> c.TriggerSyncResponse:
        request = c.TriggerSyncRequest(tenant_id=tenant_id, mailbox=mailbox, full_resync=full_resync)
        return await self._upstream.call(self._admin.TriggerSync, request)

    async def get_capture_policy(self, *, tenant_id: str) -> c.CapturePolicy:
        request = c.GetCapturePolicyRequest(tenant_id=tenant_id)
        return await self._upstream.call(self._admin.GetCapturePolicy, request)

    async def set_capture_policy(self, policy: c.CapturePolicy) -> c.CapturePolicy:
        return await self._upstream.call(
            self._admin.SetCapturePolicy, c.SetCapturePolicyRequest(policy=policy)
        )

    async def get_rep_exclusions(self, *, tenant_id: str, rep_id: str) -> c.RepExclusions:
        request = c.GetRepExclusionsRequest(tenant_id=tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._admin.GetRepExclusions, request)

    async def set_rep_exclusions(self, exclusions: c.RepExclusions) -> c.RepExclusions:
        request = c.SetRepExclusionsRequest(exclusions=exclusions)
        return await self._upstream.call(self._admin.SetRepExclusions, request)

    async def erase_rep(self, *, tenant_id: str, rep_id: str) -> c.EraseRepResponse:
        request = c.EraseRepRequest(tenant_id=tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._admin.EraseRep, request)
