"""The CaptureAdmin gRPC service."""

from __future__ import annotations

import grpc

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc


class CaptureAdminServicer(capture_pb2_grpc.CaptureAdminServicer):
    async def GetSyncStatus(
        self,
        request: capture_pb2.GetSyncStatusRequest,
        context: grpc.aio.ServicerContext[
            capture_pb2.GetSyncStatusRequest, capture_pb2.GetSyncStatusResponse
        ],
    ) -> capture_pb2.GetSyncStatusResponse:
        if not request.tenant_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "tenant_id is required")
        # No provider connections exist yet; every registered mailbox will report here.
        return capture_pb2.GetSyncStatusResponse()
