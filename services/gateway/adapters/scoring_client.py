"""Client of scoring's ScoringQuery service, with gRPC failures turned into gateway errors."""

from __future__ import annotations

import grpc

from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from services.gateway.errors import InvalidRequest, NotFound, UpstreamUnavailable


class ScoringClient:
    """Owns one channel to scoring; `close()` releases it."""

    def __init__(self, target: str, *, timeout_sec: float) -> None:
        self._channel = grpc.aio.insecure_channel(target)
        self._stub = scoring_pb2_grpc.ScoringQueryStub(self._channel)
        self._timeout = timeout_sec

    async def close(self) -> None:
        await self._channel.close()

    async def reachable(self) -> bool:
        try:
            await self._channel.channel_ready()
        except Exception:
            return False
        return True

    async def list_activities(
        self, *, tenant_id: str, rep_id: str, page_size: int, page_token: str
    ) -> scoring_pb2.ListActivitiesResponse:
        request = scoring_pb2.ListActivitiesRequest(
            tenant_id=tenant_id, rep_id=rep_id, page_size=page_size, page_token=page_token
        )
        try:
            response: scoring_pb2.ListActivitiesResponse = await self._stub.ListActivities(
                request, timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise _translate(exc) from exc
        return response


def _translate(exc: grpc.aio.AioRpcError) -> Exception:
    code = exc.code()
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidRequest(exc.details() or "invalid request")
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(exc.details() or "not found")
    return UpstreamUnavailable(f"scoring: {code.name}")
