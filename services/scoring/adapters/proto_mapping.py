"""Domain results as the protobuf messages the API and the topics carry."""

from __future__ import annotations

from datetime import UTC, date, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.scoring.v1 import scoring_pb2
from services.scoring.domain.classification import Classification
from services.scoring.domain.diagnostics import Diagnostic, FieldFriction
from services.scoring.domain.instants import US_PER_SECOND, datetime_to_us
from services.scoring.domain.leadership import LeadershipSummary
from services.scoring.domain.matching import Match
from services.scoring.domain.records import ObjectType
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.role_health import RoleHealth
from services.scoring.domain.scores import ScoreInput
from services.scoring.operations.team_health import metric_proto
from services.scoring.ports import TeamHealthSnapshot

CLASSIFICATIONS = {
    Classification.INSUFFICIENT_DATA: scoring_pb2.CLASSIFICATION_INSUFFICIENT_DATA,
    Classification.GHOST: scoring_pb2.CLASSIFICATION_GHOST,
    Classification.WORKAROUNDER: scoring_pb2.CLASSIFICATION_WORKAROUNDER,
    Classification.SKEPTIC: scoring_pb2.CLASSIFICATION_SKEPTIC,
    Classification.ADOPTER: scoring_pb2.CLASSIFICATION_ADOPTER,
    Classification.MANAGER: scoring_pb2.CLASSIFICATION_MANAGER,
}

_TYPE_NAMES = {t: t.value for t in ObjectType}  # `.value` on an enum member is slow on hot paths


def timestamp(moment: datetime) -> Timestamp:
    """As `Timestamp.FromDatetime` (a naive datetime is UTC), in integer microseconds: this runs for
    every activity the feed relays, and `FromDatetime` goes through a time tuple and `timegm`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds, micros = divmod(datetime_to_us(moment), US_PER_SECOND)
    return Timestamp(seconds=seconds, nanos=micros * 1000)


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def score_input_proto(item: ScoreInput) -> scoring_pb2.ScoreInput:
    """An input that does not apply has no value (null), only its explanation; informational inputs
    (not scored, but measured) keep theirs."""
    return scoring_pb2.ScoreInput(
        name=item.name,
        value=item.value if item.applicable or item.measured else None,
        target=item.target,
        weight=item.weight,
        contribution=item.contribution,
        unit=item.unit,
        explanation=item.explanation,
        numerator=item.numerator,
        denominator=item.denominator,
    )


def rep_score_proto(
    result: RepScoreResult, *, computed_at: datetime, content_hash: bytes | None = None
) -> scoring_pb2.RepScore:
    computed = timestamp(computed_at)
    capture = result.capture
    digest = content_hash if content_hash is not None else result.content_hash()
    message = scoring_pb2.RepScore(
        event_id=f"{result.tenant_id}:{result.rep_id}:{digest.hex()}",
        tenant_id=result.tenant_id,
        rep_id=result.rep_id,
        occurred_at=computed,
        observed_at=computed,
        window_start=result.window_start.isoformat(),
        window_end=result.window_end.isoformat(),
        adoption_score=result.adoption,
        data_quality_score=result.data_quality,
        data_quality_unavailable_reason=result.data_quality_unavailable,
        display_name=result.display_name,
        role=result.role,
        adoption_inputs=[score_input_proto(i) for i in result.adoption_inputs],
        data_quality_inputs=[score_input_proto(i) for i in result.data_quality_inputs],
        classification=CLASSIFICATIONS[result.verdict.classification],
        reasons=list(result.verdict.reasons),
        trend=[
            scoring_pb2.WeeklyPoint(
                week_start=p.week_start.isoformat(),
                adoption_score=p.adoption,
                data_quality_score=p.data_quality,
                has_data_quality=p.data_quality is not None,
                classification=CLASSIFICATIONS[p.classification]
                if p.classification
                else scoring_pb2.CLASSIFICATION_UNSPECIFIED,
                week_end=_iso(p.week_end),
                away=p.away,
            )
            for p in result.trend
        ],
        team_id=result.team_id,
        capture=scoring_pb2.CaptureHealth(
            status=capture.status.value,
            last_activity_date=_iso(capture.last_activity_date),
            usual_items_per_business_day=round(capture.usual_items_per_business_day, 2),
            silent_business_days=capture.silent_business_days,
            explanation=capture.explanation,
            source=capture.source.value,
        ),
    )
    set_reported(message.capture, result)
    return message


def set_reported(message: scoring_pb2.CaptureHealth, result: RepScoreResult) -> None:
    """Capture's own word behind the rep's capture health (CaptureHealth fields 100-106)."""
    report = result.capture.report
    if report is None:
        return
    message.reported_state = report.state
    message.reported_reason = report.reason
    message.reported_since.CopyFrom(timestamp(report.since))
    message.reported_at.CopyFrom(timestamp(report.reported_at))
    message.items_rejected = report.items_rejected
    if report.last_success_at is not None:
        message.last_success_at.CopyFrom(timestamp(report.last_success_at))


def set_match(message: scoring_pb2.MatchedActivity, match: Match) -> None:
    """Fill the MatchedActivity fields that describe the match."""
    message.contact_crm_ids[:] = match.contact_ids
    message.account_crm_id = match.account_id
    message.opportunity_crm_id = match.opportunity_id
    message.confidence = match.confidence
    message.reason = match.reason
    for link in match.links:
        message.links.add(
            object_type=_TYPE_NAMES[link.object_type],
            crm_id=link.crm_id,
            confidence=link.confidence,
            reason=link.reason,
        )


def diagnostic_proto(d: Diagnostic) -> scoring_pb2.Diagnostic:
    message = _diagnostic_proto(d)
    p = d.playbook
    if p is not None:
        message.adkar_stage = p.adkar_stage
        message.peer_rep_id = p.peer_rep_id
        message.for_rep = p.for_rep
        message.applies_from = p.applies_from.isoformat() if p.applies_from else ""
        message.expires_on = p.expires_on.isoformat() if p.expires_on else ""
        message.due_on = p.due_on.isoformat() if p.due_on else ""
        message.friction_fields.extend(p.friction_fields)
    return message


def _diagnostic_proto(d: Diagnostic) -> scoring_pb2.Diagnostic:
    return scoring_pb2.Diagnostic(
        id=d.id,
        tenant_id=d.tenant_id,
        team_id=d.team_id,
        rep_id=d.rep_id,
        kind=d.kind,
        severity=d.severity,
        title=d.title,
        recommendation=d.recommendation,
        evidence=[
            scoring_pb2.Evidence(label=e.label, value=e.value, ref=e.ref, object_type=e.object_type)
            for e in d.evidence
        ],
    )


def field_friction_proto(f: FieldFriction) -> scoring_pb2.FieldFriction:
    """The share is rounded to four places, as the API shows it."""
    return scoring_pb2.FieldFriction(
        field=f.field,
        open_opportunities=f.open_opportunities,
        empty=f.empty,
        empty_share=round(f.empty_share, 4),
        team_id=f.team_id,
    )


def team_health_proto(snapshot: TeamHealthSnapshot) -> scoring_pb2.TeamHealth:
    """The TeamHealth message as stored and served: the snapshot's message with its lines by role and
    the manager's leadership signals."""
    message = scoring_pb2.TeamHealth()
    message.CopyFrom(snapshot.message)
    message.roles.extend(role_health_proto(line) for line in snapshot.roles)
    if snapshot.leadership is not None:
        message.leadership.CopyFrom(leadership_proto(snapshot.leadership))
    return message


def role_health_proto(line: RoleHealth) -> scoring_pb2.RoleHealth:
    """One role's line; the class counts by the same mapping as the scores' classes."""
    counts = {CLASSIFICATIONS[c]: n for c, n in line.classes.items()}
    return scoring_pb2.RoleHealth(
        role=line.role,
        members=line.members,
        average_adoption=line.average_adoption,
        average_data_quality=line.average_data_quality,
        adopters=counts.get(scoring_pb2.CLASSIFICATION_ADOPTER, 0),
        workarounders=counts.get(scoring_pb2.CLASSIFICATION_WORKAROUNDER, 0),
        skeptics=counts.get(scoring_pb2.CLASSIFICATION_SKEPTIC, 0),
        ghosts=counts.get(scoring_pb2.CLASSIFICATION_GHOST, 0),
        insufficient_data=counts.get(scoring_pb2.CLASSIFICATION_INSUFFICIENT_DATA, 0),
        active=[metric_proto(m) for m in line.active],
    )


def leadership_proto(summary: LeadershipSummary) -> scoring_pb2.LeadershipSignals:
    use = summary.use
    signals = scoring_pb2.LeadershipSignals(
        manager_rep_id=summary.manager_rep_id,
        reported=use.reported,
        target_review_share=summary.target_share,
    )
    if use.reported:  # unknown stays zero with reported=false, never a measured "none"
        signals.window_days = use.window_days
        signals.weeks_judged = summary.weeks_judged
        signals.weeks_with_pipeline_review = summary.weeks_reviewed
        signals.pipeline_review_days = use.pipeline_review_days
        signals.forecast_days = use.forecast_days
        signals.report_days = use.report_days
        signals.meets_target = summary.meets_target
    return signals
