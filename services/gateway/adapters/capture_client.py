"""Client of capture's CaptureAdmin service.

`CaptureClient` owns the channel; `for_tenant` hands out a `TenantCaptureClient` (`ports.TenantCapture`)
whose every request carries that tenant. Secrets (client secrets, certificate keys, service-account
keys) pass through to capture and are never logged; capture's contract never returns them.
"""

from __future__ import annotations

from collections.abc import Sequence

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.capture.v1 import capture_pb2_grpc
from plumbing.tls import MeshTls
from services.gateway.adapters.upstream import UpstreamChannel


class CaptureClient:
    """Owns one channel to capture; `close()` releases it."""

    def __init__(self, target: str, *, tls: MeshTls, timeout_sec: float) -> None:
        self._upstream = UpstreamChannel("capture", target, tls=tls, timeout_sec=timeout_sec)
        self._admin = capture_pb2_grpc.CaptureAdminStub(self._upstream.channel)

    async def close(self) -> None:
        await self._upstream.close()

    async def reachable(self) -> bool:
        return await self._upstream.reachable()

    def for_tenant(self, tenant_id: str) -> TenantCaptureClient:
        return TenantCaptureClient(self._upstream, self._admin, tenant_id)


class TenantCaptureClient:
    """Capture for one tenant. Methods raise gateway errors (`upstream.translate`)."""

    __slots__ = ("_admin", "_tenant_id", "_upstream")

    def __init__(
        self, upstream: UpstreamChannel, admin: capture_pb2_grpc.CaptureAdminAsyncStub, tenant_id: str
    ) -> None:
        self._upstream = upstream
        self._admin = admin
        self._tenant_id = tenant_id

    async def register_microsoft(self, request: c.RegisterMicrosoftConnectionRequest) -> c.Connection:
        upstream = c.RegisterMicrosoftConnectionRequest()
        upstream.CopyFrom(request)
        upstream.tenant_id = self._tenant_id
        return await self._upstream.call(self._admin.RegisterMicrosoftConnection, upstream)

    async def register_google(
        self, *, connection_id: str, service_account_key_json: str, workspace_domain: str
    ) -> c.Connection:
        request = c.RegisterGoogleConnectionRequest(
            tenant_id=self._tenant_id,
            connection_id=connection_id,
            service_account_key_json=service_account_key_json,
            workspace_domain=workspace_domain,
        )
        return await self._upstream.call(self._admin.RegisterGoogleConnection, request)

    async def list_connections(self) -> c.ListConnectionsResponse:
        request = c.ListConnectionsRequest(tenant_id=self._tenant_id)
        return await self._upstream.call(self._admin.ListConnections, request)

    async def delete_connection(self, *, connection_id: str) -> c.DeleteConnectionResponse:
        request = c.DeleteConnectionRequest(tenant_id=self._tenant_id, connection_id=connection_id)
        return await self._upstream.call(self._admin.DeleteConnection, request)

    async def upsert_mailboxes(
        self, *, connection_id: str, mailboxes: Sequence[c.MailboxAssignment]
    ) -> c.UpsertMailboxesResponse:
        request = c.UpsertMailboxesRequest(
            tenant_id=self._tenant_id, connection_id=connection_id, mailboxes=mailboxes
        )
        return await self._upstream.call(self._admin.UpsertMailboxes, request)

    async def remove_mailbox(self, *, address: str) -> c.RemoveMailboxResponse:
        request = c.RemoveMailboxRequest(tenant_id=self._tenant_id, address=address)
        return await self._upstream.call(self._admin.RemoveMailbox, request)

    async def get_sync_status(self, *, mailbox: str) -> c.GetSyncStatusResponse:
        request = c.GetSyncStatusRequest(tenant_id=self._tenant_id, mailbox=mailbox)
        return await self._upstream.call(self._admin.GetSyncStatus, request)

    async def trigger_sync(self, *, mailbox: str, full_resync: bool) -> c.TriggerSyncResponse:
        request = c.TriggerSyncRequest(tenant_id=self._tenant_id, mailbox=mailbox, full_resync=full_resync)
        return await self._upstream.call(self._admin.TriggerSync, request)

    async def get_capture_policy(self) -> c.CapturePolicy:
        request = c.GetCapturePolicyRequest(tenant_id=self._tenant_id)
        return await self._upstream.call(self._admin.GetCapturePolicy, request)

    async def set_capture_policy(
        self,
        *,
        capture_level: c.CaptureLevel.ValueType,
        internal_domains: Sequence[str],
        excluded_addresses: Sequence[str],
        excluded_domains: Sequence[str],
    ) -> c.CapturePolicy:
        policy = c.CapturePolicy(
            tenant_id=self._tenant_id,
            capture_level=capture_level,
            internal_domains=internal_domains,
            excluded_addresses=excluded_addresses,
            excluded_domains=excluded_domains,
        )
        return await self._upstream.call(
            self._admin.SetCapturePolicy, c.SetCapturePolicyRequest(policy=policy)
        )

    async def get_rep_exclusions(self, *, rep_id: str) -> c.RepExclusions:
        request = c.GetRepExclusionsRequest(tenant_id=self._tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._admin.GetRepExclusions, request)

    async def set_rep_exclusions(
        self, *, rep_id: str, excluded_addresses: Sequence[str], excluded_domains: Sequence[str]
    ) -> c.RepExclusions:
        exclusions = c.RepExclusions(
            tenant_id=self._tenant_id,
            rep_id=rep_id,
            excluded_addresses=excluded_addresses,
            excluded_domains=excluded_domains,
        )
        return await self._upstream.call(
            self._admin.SetRepExclusions, c.SetRepExclusionsRequest(exclusions=exclusions)
        )

    async def erase_rep(self, *, rep_id: str) -> c.EraseRepResponse:
        request = c.EraseRepRequest(tenant_id=self._tenant_id, rep_id=rep_id)
        return await self._upstream.call(self._admin.EraseRep, request)
