"""ScoringQuery RPCs over the CRM mirror: the write-back feed, agenda, opportunities, forecasts,
readiness and the tenant's configuration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Pool
from services.scoring.adapters.grpc_validation import (
    Context,
    check_optional_id,
    decode_token,
    encode_token,
    invalid,
    iso_date,
    not_found,
    page_size,
    require_ids,
)
from services.scoring.adapters.pg_read_models import (
    agenda,
    forecasts_with_outcomes,
    list_opportunities,
    matched_feed,
    readiness_counts,
    record_summary,
    stale_examples,
)
from services.scoring.adapters.pg_settings import load_settings, stored_config
from services.scoring.adapters.pg_tenant_views import duplicate_groups, field_gaps
from services.scoring.adapters.proto_mapping import timestamp
from services.scoring.domain.forecast import forecast_accuracy
from services.scoring.domain.instants import us_to_datetime
from services.scoring.domain.records import CrmRecord
from services.scoring.domain.tenant_settings import effective_config, settings_from_config

FEED_DEFAULT_PAGE = 100
FEED_MAX_PAGE = 1000
MAX_DUPLICATE_GROUPS = 100


class CrmQueries:
    _pool: Pool
    _today: Callable[[], date]

    async def ListMatchedActivities(
        self, request: scoring_pb2.ListMatchedActivitiesRequest, context: Context
    ) -> scoring_pb2.ListMatchedActivitiesResponse:
        """Feed positions only grow and are committed in order, so `last_sequence` is a safe ack."""
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "rep_id", request.rep_id)
        if request.after_sequence < 0:
            await invalid(context, "after_sequence must be 0 or more")
        limit = await page_size(context, request.page_size, default=FEED_DEFAULT_PAGE, maximum=FEED_MAX_PAGE)
        found = await matched_feed(
            self._pool,
            tenant_id=request.tenant_id,
            after=request.after_sequence,
            limit=limit,
            rep_id=request.rep_id,
        )
        last = found[-1].feed_sequence if found else request.after_sequence
        return scoring_pb2.ListMatchedActivitiesResponse(activities=found, last_sequence=last)

    async def GetRepAgenda(
        self, request: scoring_pb2.GetRepAgendaRequest, context: Context
    ) -> scoring_pb2.GetRepAgendaResponse:
        await require_ids(context, tenant_id=request.tenant_id, rep_id=request.rep_id)
        day = await iso_date(context, "date", request.date, self._today())
        items = await agenda(self._pool, tenant_id=request.tenant_id, rep_id=request.rep_id, day=day)
        return scoring_pb2.GetRepAgendaResponse(items=items)

    async def ListForecastAccuracy(
        self, request: scoring_pb2.ListForecastAccuracyRequest, context: Context
    ) -> scoring_pb2.ListForecastAccuracyResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "rep_id", request.rep_id)
        settings = await load_settings(self._pool, request.tenant_id)
        today = self._today()
        entries = []
        for rep, period, end, committed, won in await forecasts_with_outcomes(
            self._pool, tenant_id=request.tenant_id, rep_id=request.rep_id
        ):
            accuracy = forecast_accuracy(
                rep_id=rep, period=period, period_end=end, committed=committed, closed_won=won, as_of=today,
                target=settings.threshold("forecast_error_target"),
            )  # fmt: skip
            entries.append(
                scoring_pb2.ForecastAccuracy(
                    tenant_id=request.tenant_id,
                    rep_id=rep,
                    period=period,
                    committed_amount=accuracy.committed_amount,
                    closed_won_amount=accuracy.closed_won_amount,
                    error_ratio=accuracy.error_ratio,
                    within_target=accuracy.within_target,
                    period_closed=accuracy.period_closed,
                )
            )
        return scoring_pb2.ListForecastAccuracyResponse(entries=entries)

    async def GetReadinessReport(
        self, request: scoring_pb2.GetReadinessReportRequest, context: Context
    ) -> scoring_pb2.ReadinessReport:
        await require_ids(context, tenant_id=request.tenant_id)
        tenant = request.tenant_id
        settings = await load_settings(self._pool, tenant)
        today = self._today()
        stale_days = int(settings.threshold("stale_days"))
        open_count, past_close, stale = await readiness_counts(
            self._pool, tenant_id=tenant, today=today, stale_days=stale_days
        )
        report = scoring_pb2.ReadinessReport(
            tenant_id=tenant,
            as_of=today.isoformat(),
            open_opportunities=open_count,
            stale_open_opportunities=stale,
            past_close_date_open_opportunities=past_close,
        )
        for group in (await duplicate_groups(self._pool, tenant))[:MAX_DUPLICATE_GROUPS]:
            report.duplicates.add(
                object_type=group.object_type,
                reason=group.reason,
                open_pipeline_amount=group.open_pipeline,
                records=[_summary(r) for r in group.records],
            )
        totals: dict[str, tuple[int, int]] = {}
        for _, field, o, e in await field_gaps(self._pool, settings):
            before = totals.get(field, (0, 0))
            totals[field] = (before[0] + o, before[1] + e)
        possible = sum(o for o, _ in totals.values())
        empty = sum(e for _, e in totals.values())
        report.required_field_completeness = round(1 - empty / possible, 4) if possible else 0.0
        missing = [
            scoring_pb2.FieldFriction(field=f, open_opportunities=o, empty=e, empty_share=round(e / o, 4))
            for f, (o, e) in totals.items()
            if o
        ]
        report.missing_fields.extend(sorted(missing, key=lambda f: (-f.empty_share, f.field)))
        report.stale_examples.extend(
            record_summary(r)
            for r in await stale_examples(self._pool, tenant_id=tenant, today=today, stale_days=stale_days)
        )
        return report

    async def ListOpportunities(
        self, request: scoring_pb2.ListOpportunitiesRequest, context: Context
    ) -> scoring_pb2.ListOpportunitiesResponse:
        await require_ids(context, tenant_id=request.tenant_id)
        await check_optional_id(context, "team_id", request.team_id)
        await check_optional_id(context, "rep_id", request.rep_id)
        limit = await page_size(context, request.page_size, default=50, maximum=500)
        after = await decode_token(context, request.page_token)
        settings = await load_settings(self._pool, request.tenant_id)
        owners: set[str] | None = None
        if request.team_id:
            team = settings.team(request.team_id)
            if team is None:
                await not_found(context, f"team {request.team_id!r} is not in the tenant's configuration")
            owners = set(team.member_rep_ids)
        if request.rep_id:
            owners = {request.rep_id} if owners is None else owners & {request.rep_id}
        rows = await list_opportunities(
            self._pool,
            tenant_id=request.tenant_id,
            owners=sorted(owners) if owners is not None else None,
            review_ready_only=request.review_ready_only,
            after_crm_id=after,
            limit=limit + 1,
            today=self._today(),
            next_step_max_age_days=int(settings.threshold("review_next_step_max_age_days")),
        )
        response = scoring_pb2.ListOpportunitiesResponse(opportunities=rows[:limit])
        if len(rows) > limit:
            response.next_page_token = encode_token(rows[limit - 1].crm_id)
        return response

    async def GetTenantConfig(
        self, request: scoring_pb2.GetTenantConfigRequest, context: Context
    ) -> crm_pb2.TenantConfig:
        """The latest configuration the CRM sent, with every default filled in (version 0: none yet)."""
        await require_ids(context, tenant_id=request.tenant_id)
        stored = await stored_config(self._pool, request.tenant_id)
        return effective_config(settings_from_config(request.tenant_id, stored), stored)


def _summary(record: CrmRecord) -> scoring_pb2.CrmRecordSummary:
    return scoring_pb2.CrmRecordSummary(
        crm_id=record.crm_id,
        object_type=record.object_type.value,
        name=record.name,
        owner_rep_id=record.owner_rep_id,
        account_crm_id=record.account_crm_id,
        modified_at=timestamp(us_to_datetime(record.modified_us)),
    )
