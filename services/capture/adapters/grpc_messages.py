"""CaptureAdmin's protos ↔ the admin operations' values. Pure conversions, no validation: the
operations check what they are given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from groundtruth.activity.v1 import activity_pb2
from groundtruth.capture.v1 import capture_pb2
from services.capture.domain.credentials import Certificate, ClientSecret, MicrosoftCredential
from services.capture.domain.privacy import CaptureLevel
from services.capture.operations.connections import GoogleRegistration, MicrosoftRegistration
from services.capture.operations.status import MailboxView
from services.capture.ports import (
    MailboxAssignment,
    StoredConnection,
    StoredRepExclusions,
    StoredTenantPolicy,
)

_TO_CONNECTION_PROVIDER: dict[activity_pb2.Provider.ValueType, capture_pb2.ConnectionProvider.ValueType] = {
    activity_pb2.PROVIDER_MICROSOFT: capture_pb2.CONNECTION_PROVIDER_MICROSOFT,
    activity_pb2.PROVIDER_GOOGLE: capture_pb2.CONNECTION_PROVIDER_GOOGLE,
}
_FROM_LEVEL: dict[capture_pb2.CaptureLevel.ValueType, CaptureLevel] = {
    capture_pb2.CAPTURE_LEVEL_UNSPECIFIED: CaptureLevel.METADATA,
    capture_pb2.CAPTURE_LEVEL_METADATA: CaptureLevel.METADATA,
    capture_pb2.CAPTURE_LEVEL_SUBJECT: CaptureLevel.SUBJECT,
}
_TO_LEVEL = {
    CaptureLevel.METADATA: capture_pb2.CAPTURE_LEVEL_METADATA,
    CaptureLevel.SUBJECT: capture_pb2.CAPTURE_LEVEL_SUBJECT,
}


def _provider(provider: activity_pb2.Provider.ValueType) -> capture_pb2.ConnectionProvider.ValueType:
    return _TO_CONNECTION_PROVIDER.get(provider, capture_pb2.CONNECTION_PROVIDER_UNSPECIFIED)


def _timestamp(value: datetime | None) -> Timestamp:
    ts = Timestamp()
    if value is not None:
        ts.FromDatetime(value.astimezone(UTC))
    return ts


# --- requests → operation inputs ------------------------------------------------------------------


def microsoft_registration(request: capture_pb2.RegisterMicrosoftConnectionRequest) -> MicrosoftRegistration:
    credential: MicrosoftCredential | None = None
    which = request.WhichOneof("credential")
    if which == "client_secret":
        credential = ClientSecret(request.client_secret)
    elif which == "certificate":
        cert = request.certificate
        credential = Certificate(cert.private_key_pem, cert.thumbprint, cert.public_certificate_pem)
    return MicrosoftRegistration(
        tenant_id=request.tenant_id,
        connection_id=request.connection_id,
        directory_tenant_id=request.directory_tenant_id,
        client_id=request.client_id,
        credential=credential,
    )


def google_registration(request: capture_pb2.RegisterGoogleConnectionRequest) -> GoogleRegistration:
    return GoogleRegistration(
        tenant_id=request.tenant_id,
        connection_id=request.connection_id,
        service_account_key_json=request.service_account_key_json,
        workspace_domain=request.workspace_domain,
    )


def assignments(mailboxes: Sequence[capture_pb2.MailboxAssignment]) -> list[MailboxAssignment]:
    return [MailboxAssignment(address=m.address, rep_id=m.rep_id) for m in mailboxes]


def capture_level(value: capture_pb2.CaptureLevel.ValueType) -> CaptureLevel | None:
    """None for a value this build does not know (a newer client): the operation refuses it."""
    return _FROM_LEVEL.get(value)


# --- operation results → responses ----------------------------------------------------------------


def connection(stored: StoredConnection) -> capture_pb2.Connection:
    return capture_pb2.Connection(
        connection_id=stored.connection_id,
        tenant_id=stored.tenant_id,
        provider=_provider(stored.provider),
        directory_tenant_id=stored.directory_tenant_id,
        client_id=stored.client_id,
        workspace_domain=stored.workspace_domain,
        service_account_email=stored.service_account_email,
        created_at=_timestamp(stored.created_at),
        has_credentials=stored.has_credentials,
    )


def mailbox_status(view: MailboxView, *, now: datetime) -> capture_pb2.MailboxStatus:
    mailbox, status = view.mailbox, view.status
    message = capture_pb2.MailboxStatus(
        tenant_id=mailbox.tenant_id,
        mailbox=mailbox.address,
        rep_id=mailbox.rep_id,
        state=status.state.value,
        last_error=status.last_error,
        items_captured=status.items_captured,
        lag_seconds=status.lag_seconds(now) or 0.0,
        connection_id=mailbox.connection_id,
        provider=_provider(mailbox.provider),
        resyncs=status.resyncs,
        items_rejected=status.items_rejected,
        last_reject_reason=status.last_reject_reason,
    )
    if status.last_reject_at is not None:
        message.last_reject_at.CopyFrom(_timestamp(status.last_reject_at))
    if status.last_success_at is not None:
        message.last_success_at.CopyFrom(_timestamp(status.last_success_at))
    if status.last_error_at is not None:
        message.last_error_at.CopyFrom(_timestamp(status.last_error_at))
    return message


def mailbox_statuses(views: Sequence[MailboxView]) -> list[capture_pb2.MailboxStatus]:
    now = datetime.now(UTC)
    return [mailbox_status(v, now=now) for v in views]


def policy(stored: StoredTenantPolicy) -> capture_pb2.CapturePolicy:
    return capture_pb2.CapturePolicy(
        tenant_id=stored.tenant_id,
        capture_level=_TO_LEVEL[stored.capture_level],
        internal_domains=stored.internal_domains,
        excluded_addresses=stored.excluded_addresses,
        excluded_domains=stored.excluded_domains,
    )


def exclusions(stored: StoredRepExclusions) -> capture_pb2.RepExclusions:
    return capture_pb2.RepExclusions(
        tenant_id=stored.tenant_id,
        rep_id=stored.rep_id,
        excluded_addresses=stored.excluded_addresses,
        excluded_domains=stored.excluded_domains,
    )
