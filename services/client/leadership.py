"""Leadership signals a CRM plugin reports: a report, dashboard, pipeline review or forecast opened in
the CRM ("forecasts pulled directly from CRM", "all pipeline reviews conducted in the CRM").

    await gt.ingest([crm_viewed(rep_id="mgr-1", kind="pipeline_review", viewed_at=now, team_id="east")])
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from groundtruth.crm.v1 import crm_pb2

ViewKind = Literal["report", "dashboard", "pipeline_review", "forecast"]
_KINDS: dict[str, crm_pb2.CrmViewKind.ValueType] = {
    "report": crm_pb2.CRM_VIEW_KIND_REPORT,
    "dashboard": crm_pb2.CRM_VIEW_KIND_DASHBOARD,
    "pipeline_review": crm_pb2.CRM_VIEW_KIND_PIPELINE_REVIEW,
    "forecast": crm_pb2.CRM_VIEW_KIND_FORECAST,
}


def crm_viewed(
    *, rep_id: str, kind: ViewKind, viewed_at: datetime, name: str = "", team_id: str = "", source: str = ""
) -> crm_pb2.CrmEvent:
    """The CrmEvent saying `rep_id` opened something in the CRM at `viewed_at` (timezone-aware)."""
    event = crm_pb2.CrmEvent(rep_id=rep_id, source=source)
    event.crm_viewed.kind = _KINDS[kind]
    event.crm_viewed.name = name
    event.crm_viewed.team_id = team_id
    event.crm_viewed.viewed_at.FromDatetime(viewed_at)
    return event
