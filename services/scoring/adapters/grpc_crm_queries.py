"""ScoringQuery RPCs over the CRM mirror: the write-back feed, agenda, opportunities, forecasts,
readiness and the tenant's configuration. Each validates, asks `CrmReports`, translates."""

from __future__ import annotations

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.adapters.grpc_validation import (
    Context,
    answer,
    check_optional_id,
    decode_token,
    invalid,
    iso_date,
    next_page_token,
    page_size,
    require_ids,
    time_zone,
)
from services.scoring.adapters.proto_mapping import field_friction_proto, timestamp
from services.scoring.domain.instants import us_to_datetime
from services.scoring.domain.records import CrmRecord
from services.scoring.operations.reports import CrmReports, Readiness

FEED_DEFAULT_PAGE = 100
FEED_MAX_PAGE = 1000


class CrmQueryRpcs:
    """Mixed into `ScoringQueryServicer`, which provides `_reports`."""

    _reports: CrmReports

    async def ListMatchedActivities(
        self, request: scoring_pb2.ListMatchedActivitiesRequest, context: Context
    ) -> scoring_pb2.ListMatchedActivitiesResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "rep_id", request.rep_id)
        if request.after_sequence < 0:
            await invalid(context, "after_sequence must be 0 or more")
        limit = await page_size(context, request.page_size, default=FEED_DEFAULT_PAGE, maximum=FEED_MAX_PAGE)
        page = await self._reports.matched_feed(
            tenant_id=request.tenant_id, after=request.after_sequence, limit=limit, rep_id=request.rep_id
        )
        return scoring_pb2.ListMatchedActivitiesResponse(
            activities=page.activities, last_sequence=page.last_sequence
        )

    async def GetRepAgenda(
        self, request: scoring_pb2.GetRepAgendaRequest, context: Context
    ) -> scoring_pb2.GetRepAgendaResponse:
        await require_ids(context, tenant_id=request.tenant_id, rep_id=request.rep_id)
        day = await iso_date(context, "date", request.date)
        zone = await time_zone(context, request.time_zone)
        items = await self._reports.agenda(
            tenant_id=request.tenant_id, rep_id=request.rep_id, day=day, zone=zone
        )
        return scoring_pb2.GetRepAgendaResponse(items=items)

    async def ListForecastAccuracy(
        self, request: scoring_pb2.ListForecastAccuracyRequest, context: Context
    ) -> scoring_pb2.ListForecastAccuracyResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "rep_id", request.rep_id)
        found = await self._reports.forecast_accuracy(tenant_id=request.tenant_id, rep_id=request.rep_id)
        return scoring_pb2.ListForecastAccuracyResponse(
            entries=[
                scoring_pb2.ForecastAccuracy(
                    tenant_id=request.tenant_id,
                    rep_id=a.rep_id,
                    period=a.period,
                    committed_amount=a.committed_amount,
                    closed_won_amount=a.closed_won_amount,
                    error_ratio=a.error_ratio,
                    within_target=a.within_target,
                    period_closed=a.period_closed,
                )
                for a in found
            ]
        )

    async def GetReadinessReport(
        self, request: scoring_pb2.GetReadinessReportRequest, context: Context
    ) -> scoring_pb2.ReadinessReport:
        await require_ids(context, tenant_id=request.tenant_id)
        return _readiness_proto(await self._reports.readiness(request.tenant_id))

    async def ListOpportunities(
        self, request: scoring_pb2.ListOpportunitiesRequest, context: Context
    ) -> scoring_pb2.ListOpportunitiesResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        await check_optional_id(context, "rep_id", request.rep_id)
        limit = await page_size(context, request.page_size, default=50, maximum=500)
        after = await decode_token(context, request.page_token)
        page = await answer(
            context,
            self._reports.opportunities(
                tenant_id=request.tenant_id,
                team_id=request.team_id,
                rep_id=request.rep_id,
                review_ready_only=request.review_ready_only,
                after_crm_id=after,
                limit=limit,
            ),
        )
        return scoring_pb2.ListOpportunitiesResponse(
            opportunities=page.items, next_page_token=next_page_token(page, lambda o: o.crm_id)
        )

    async def GetTenantConfig(
        self, request: scoring_pb2.GetTenantConfigRequest, context: Context
    ) -> crm_pb2.TenantConfig:
        """The latest configuration the CRM sent, with every default filled in (version 0: none yet)."""
        await require_ids(context, tenant_id=request.tenant_id)
        return await self._reports.tenant_config(request.tenant_id)


def _readiness_proto(readiness: Readiness) -> scoring_pb2.ReadinessReport:
    report = scoring_pb2.ReadinessReport(
        tenant_id=readiness.tenant_id,
        as_of=readiness.as_of.isoformat(),
        open_opportunities=readiness.counts.open_opportunities,
        stale_open_opportunities=readiness.counts.stale,
        past_close_date_open_opportunities=readiness.counts.past_close_date,
    )
    for group in readiness.duplicates:
        report.duplicates.add(
            object_type=group.object_type,
            reason=group.reason,
            open_pipeline_amount=group.open_pipeline,
            records=[_summary(r) for r in group.records],
        )
    report.required_field_completeness = readiness.required_field_completeness
    report.missing_fields.extend(field_friction_proto(f) for f in readiness.missing_fields)
    report.stale_examples.extend(readiness.stale_examples)
    return report


def _summary(record: CrmRecord) -> scoring_pb2.CrmRecordSummary:
    return scoring_pb2.CrmRecordSummary(
        crm_id=record.crm_id,
        object_type=record.object_type.value,
        name=record.name,
        owner_rep_id=record.owner_rep_id,
        account_crm_id=record.account_crm_id,
        modified_at=timestamp(us_to_datetime(record.modified_us)),
    )
