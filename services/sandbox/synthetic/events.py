"""Builders for the events scoring consumes: captured activities and CRM events.

Ids are deterministic (hashes of their inputs), so the same call always builds the same event and a
replay is recognisable as one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2
from groundtruth.crm.v1 import crm_pb2

OBJECT_TYPES = {
    "opportunity": crm_pb2.CRM_OBJECT_TYPE_OPPORTUNITY,
    "contact": crm_pb2.CRM_OBJECT_TYPE_CONTACT,
    "account": crm_pb2.CRM_OBJECT_TYPE_ACCOUNT,
}


def digest(*parts: object) -> str:
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()[:32]


def timestamp(moment: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def activity(
    *,
    tenant_id: str,
    rep_id: str,
    item_id: str,
    kind: activity_pb2.ActivityKind.ValueType,
    occurred_at: datetime,
    external: Sequence[str],
    internal: Sequence[str] = (),
    mailbox_domain: str = "acme.example",
    modified_at: datetime | None = None,
    observed_at: datetime | None = None,
    duration_min: int = 30,
    is_cancelled: bool = False,
    is_deletion: bool = False,
    declined: bool = False,
    subject: str | None = None,
) -> activity_pb2.Activity:
    """One e-mail (sent by the rep, or received) or meeting organised by the rep."""
    mailbox = f"{rep_id}@{mailbox_domain}"
    meeting = kind == activity_pb2.ACTIVITY_KIND_MEETING
    own_role = {
        activity_pb2.ACTIVITY_KIND_EMAIL_SENT: activity_pb2.PARTICIPANT_ROLE_FROM,
        activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED: activity_pb2.PARTICIPANT_ROLE_TO,
    }.get(kind, activity_pb2.PARTICIPANT_ROLE_ORGANIZER)
    other_role = {
        activity_pb2.ACTIVITY_KIND_EMAIL_SENT: activity_pb2.PARTICIPANT_ROLE_TO,
        activity_pb2.ACTIVITY_KIND_EMAIL_RECEIVED: activity_pb2.PARTICIPANT_ROLE_FROM,
    }.get(kind, activity_pb2.PARTICIPANT_ROLE_ATTENDEE)
    participants = [
        activity_pb2.Participant(
            address=mailbox,
            role=own_role,
            is_internal=True,
            response_status=activity_pb2.RESPONSE_STATUS_DECLINED
            if declined
            else activity_pb2.RESPONSE_STATUS_ORGANIZER,
        )
    ]
    participants += [
        activity_pb2.Participant(address=a, role=other_role, is_internal=False) for a in external
    ]
    participants += [activity_pb2.Participant(address=a, role=other_role, is_internal=True) for a in internal]
    modified = modified_at or occurred_at
    built = activity_pb2.Activity(
        id=digest(tenant_id, "MICROSOFT", mailbox, item_id),
        tenant_id=tenant_id,
        rep_id=rep_id,
        kind=kind,
        provider=activity_pb2.PROVIDER_MICROSOFT,
        mailbox=mailbox,
        provider_ids=activity_pb2.ProviderIds(
            item_id=item_id, internet_message_id=f"<{item_id}@{mailbox_domain}>"
        ),
        occurred_at=timestamp(occurred_at),
        observed_at=timestamp(observed_at or modified),
        source_modified_at=timestamp(modified),
        participants=participants,
        is_cancelled=is_cancelled,
        is_deletion=is_deletion,
    )
    if meeting:
        built.end_at.CopyFrom(timestamp(occurred_at + timedelta(minutes=duration_min)))
    if subject is not None:
        built.subject = subject
    built.event_id = digest(built.id, modified.isoformat(), is_deletion, is_cancelled)
    return built


def away(
    *,
    tenant_id: str,
    rep_id: str,
    item_id: str,
    starts_at: datetime,
    ends_at: datetime,
    mailbox_domain: str = "acme.example",
    modified_at: datetime | None = None,
) -> activity_pb2.Activity:
    """An out-of-office entry as capture publishes it: the period only, no participant, no subject."""
    mailbox = f"{rep_id}@{mailbox_domain}"
    modified = modified_at or starts_at
    built = activity_pb2.Activity(
        id=digest(tenant_id, "MICROSOFT", mailbox, item_id),
        tenant_id=tenant_id,
        rep_id=rep_id,
        kind=activity_pb2.ACTIVITY_KIND_AWAY,
        provider=activity_pb2.PROVIDER_MICROSOFT,
        mailbox=mailbox,
        provider_ids=activity_pb2.ProviderIds(item_id=item_id),
        occurred_at=timestamp(starts_at),
        end_at=timestamp(ends_at),
        observed_at=timestamp(modified),
        source_modified_at=timestamp(modified),
        is_all_day=True,
    )
    built.event_id = digest(built.id, modified.isoformat(), False, False)
    return built


def _event(
    tenant_id: str, rep_id: str, occurred_at: datetime, key: Iterable[object], observed_at: datetime | None
) -> crm_pb2.CrmEvent:
    return crm_pb2.CrmEvent(
        event_id=digest(tenant_id, rep_id, *key),
        tenant_id=tenant_id,
        rep_id=rep_id,
        occurred_at=timestamp(occurred_at),
        observed_at=timestamp(observed_at or occurred_at),
        source="synthetic",
    )


def upsert(
    *,
    tenant_id: str,
    object_type: str,
    crm_id: str,
    modified_at: datetime,
    owner_rep_id: str = "",
    name: str = "",
    fields: Mapping[str, str] | None = None,
    domains: Sequence[str] = (),
    email: str = "",
    account_crm_id: str = "",
    stage: str = "",
    amount: float = 0.0,
    close_date: date | None = None,
    is_closed: bool = False,
    is_won: bool = False,
    next_step: str = "",
    next_step_date: date | None = None,
    contact_roles: Sequence[tuple[str, str, bool]] = (),
    modified_by_rep_id: str = "",
    created_at: datetime | None = None,
    observed_at: datetime | None = None,
) -> crm_pb2.CrmEvent:
    event = _event(
        tenant_id,
        owner_rep_id,
        modified_at,
        ("upsert", object_type, crm_id, modified_at.isoformat()),
        observed_at,
    )
    event.record_upserted.CopyFrom(
        crm_pb2.RecordUpserted(
            object_type=OBJECT_TYPES[object_type],
            crm_id=crm_id,
            owner_rep_id=owner_rep_id,
            name=name,
            fields=dict(fields or {}),
            modified_at=timestamp(modified_at),
            created_at=timestamp(created_at or modified_at),
            domains=list(domains),
            email=email,
            account_crm_id=account_crm_id,
            stage=stage,
            amount=amount,
            currency="EUR" if amount else "",
            close_date=close_date.isoformat() if close_date else "",
            is_closed=is_closed,
            is_won=is_won,
            next_step=next_step,
            next_step_date=next_step_date.isoformat() if next_step_date else "",
            contact_roles=[
                crm_pb2.ContactRole(contact_crm_id=c, role=r, is_primary=p) for c, r, p in contact_roles
            ],
            modified_by_rep_id=modified_by_rep_id,
        )
    )
    return event


def delete(
    *, tenant_id: str, object_type: str, crm_id: str, deleted_at: datetime, rep_id: str = ""
) -> crm_pb2.CrmEvent:
    event = _event(
        tenant_id, rep_id, deleted_at, ("delete", object_type, crm_id, deleted_at.isoformat()), None
    )
    event.record_deleted.CopyFrom(
        crm_pb2.RecordDeleted(
            object_type=OBJECT_TYPES[object_type], crm_id=crm_id, deleted_at=timestamp(deleted_at)
        )
    )
    return event


def login(*, tenant_id: str, rep_id: str, at: datetime) -> crm_pb2.CrmEvent:
    event = _event(tenant_id, rep_id, at, ("login", at.isoformat()), None)
    event.user_login.login_at.CopyFrom(timestamp(at))
    return event


def manual_log(
    *,
    tenant_id: str,
    rep_id: str,
    crm_activity_id: str,
    occurred_at: datetime,
    logged_at: datetime,
    kind: crm_pb2.LoggedActivityKind.ValueType = crm_pb2.LOGGED_ACTIVITY_KIND_MEETING,
    related_crm_id: str = "",
    related_object_type: str = "",
    source_activity_id: str = "",
    edited_at: datetime | None = None,
) -> crm_pb2.CrmEvent:
    at = edited_at or logged_at
    event = _event(tenant_id, rep_id, at, ("log", crm_activity_id, at.isoformat()), None)
    event.activity_logged.CopyFrom(
        crm_pb2.ActivityLogged(
            crm_activity_id=crm_activity_id,
            kind=kind,
            occurred_at=timestamp(occurred_at),
            logged_at=timestamp(logged_at),
            related_crm_id=related_crm_id,
            related_object_type=OBJECT_TYPES.get(related_object_type, crm_pb2.CRM_OBJECT_TYPE_UNSPECIFIED),
            source_activity_id=source_activity_id,
        )
    )
    return event


def forecast(
    *,
    tenant_id: str,
    rep_id: str,
    period: str,
    period_start: date,
    period_end: date,
    committed_amount: float,
    submitted_at: datetime,
) -> crm_pb2.CrmEvent:
    event = _event(tenant_id, rep_id, submitted_at, ("forecast", period, submitted_at.isoformat()), None)
    event.forecast_submitted.CopyFrom(
        crm_pb2.ForecastSubmitted(
            period=period,
            period_start=period_start.isoformat(),
            period_end=period_end.isoformat(),
            committed_amount=committed_amount,
            currency="EUR",
            submitted_at=timestamp(submitted_at),
        )
    )
    return event


def tenant_config(*, tenant_id: str, config: crm_pb2.TenantConfig, at: datetime) -> crm_pb2.CrmEvent:
    event = _event(tenant_id, "", at, ("config", config.version), None)
    event.tenant_config_updated.config.CopyFrom(config)
    return event
