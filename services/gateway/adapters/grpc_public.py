"""The public gRPC service (groundtruth.gateway.v1.Groundtruth)."""

from __future__ import annotations

from typing import Any

import grpc

from groundtruth.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from services.gateway.adapters.scoring_client import ScoringClient
from services.gateway.errors import InvalidRequest, NotFound, UpstreamUnavailable
from services.gateway.identifiers import is_rep_id, is_tenant_id

MAX_PAGE_SIZE = 500


class GroundtruthServicer(gateway_pb2_grpc.GroundtruthServicer):
    def __init__(self, scoring: ScoringClient) -> None:
        self._scoring = scoring

    async def ListRepActivities(
        self,
        request: gateway_pb2.ListRepActivitiesRequest,
        context: grpc.aio.ServicerContext[
            gateway_pb2.ListRepActivitiesRequest, gateway_pb2.ListRepActivitiesResponse
        ],
    ) -> gateway_pb2.ListRepActivitiesResponse:
        tenant_id = _metadata(context, "x-tenant-id")
        if not is_tenant_id(tenant_id):
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED, "x-tenant-id metadata is missing or malformed"
            )
        if not is_rep_id(request.rep_id):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "rep_id is missing or malformed")
        if not 0 <= request.page_size <= MAX_PAGE_SIZE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"page_size must be 0..{MAX_PAGE_SIZE}")
        try:
            response = await self._scoring.list_activities(
                tenant_id=tenant_id,
                rep_id=request.rep_id,
                page_size=request.page_size,
                page_token=request.page_token,
            )
        except InvalidRequest as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except UpstreamUnavailable:
            await context.abort(
                grpc.StatusCode.UNAVAILABLE, "a backing service is unavailable; retry shortly"
            )
        return gateway_pb2.ListRepActivitiesResponse(
            activities=response.activities, next_page_token=response.next_page_token
        )


def _metadata(context: grpc.aio.ServicerContext[Any, Any], key: str) -> str:
    for name, value in context.invocation_metadata() or ():
        if name == key:
            return value if isinstance(value, str) else value.decode(errors="replace")
    return ""
