"""The write-back feed's pages and acks (`GET /v1/feed`, `POST /v1/feed/ack`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from groundtruth.scoring.v1 import scoring_pb2
from services.gateway.domain.cursors import FEED_CURSOR_PATTERN
from services.gateway.domain.identifiers import SUBSCRIPTION_PATTERN
from services.gateway.http.proto_json import model_for

MatchedActivityRead: Any = model_for(scoring_pb2.MatchedActivity.DESCRIPTOR)


class FeedPageRead(BaseModel):
    activities: list[MatchedActivityRead]
    cursor: str = Field(description="read on after this page; ack it once the page is written back")
    acked_cursor: str = Field(description="the subscription's stored resume point")


class FeedAckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: Annotated[
        str, Field(pattern=FEED_CURSOR_PATTERN, description="a page's cursor, as this API issued it")
    ]
    subscription: Annotated[str, Field(pattern=SUBSCRIPTION_PATTERN)] = "default"


class FeedAckRead(BaseModel):
    subscription: str
    acked_cursor: str
