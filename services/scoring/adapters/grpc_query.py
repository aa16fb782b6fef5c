"""The ScoringQuery gRPC service: read-only, tenant-scoped queries over the scoring store."""

from __future__ import annotations

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.db.pool import Pool
from services.scoring.adapters.activity_store import ActivityPageCursor, list_rep_activities
from services.scoring.domain.paging import InvalidPageToken, decode_page_token, encode_page_token

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class ScoringQueryServicer(scoring_pb2_grpc.ScoringQueryServicer):
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def ListActivities(
        self,
        request: scoring_pb2.ListActivitiesRequest,
        context: grpc.aio.ServicerContext[
            scoring_pb2.ListActivitiesRequest, scoring_pb2.ListActivitiesResponse
        ],
    ) -> scoring_pb2.ListActivitiesResponse:
        if not request.tenant_id or not request.rep_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "tenant_id and rep_id are required")
        if not 0 <= request.page_size <= MAX_PAGE_SIZE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"page_size must be 0..{MAX_PAGE_SIZE}")
        after = None
        if request.page_token:
            try:
                after = ActivityPageCursor(*decode_page_token(request.page_token))
            except InvalidPageToken as exc:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        limit = request.page_size or DEFAULT_PAGE_SIZE
        rows = await list_rep_activities(
            self._pool, tenant_id=request.tenant_id, rep_id=request.rep_id, limit=limit + 1, after=after
        )
        response = scoring_pb2.ListActivitiesResponse()
        for row in rows[:limit]:
            stored_at = Timestamp()
            stored_at.FromDatetime(row.stored_at)
            response.activities.append(
                scoring_pb2.ActivityRecord(
                    activity=activity_pb2.Activity.FromString(row.payload), stored_at=stored_at
                )
            )
        if len(rows) > limit:
            last = rows[limit - 1]
            response.next_page_token = encode_page_token(last.occurred_at, last.id)
        return response
