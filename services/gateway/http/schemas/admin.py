"""REST request bodies of the admin and mobile endpoints, and their conversion to protobuf."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from groundtruth.capture.v1 import capture_pb2 as c
from groundtruth.crm.v1 import crm_pb2
from plumbing.contracts.roles import MAX_ROLE_PROFILES
from plumbing.contracts.tenant_config import (
    DEFAULT_WINDOW_DAYS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    THRESHOLD_NAMES,
    WEIGHT_NAMES,
)
from services.gateway.domain.identifiers import (
    CLIENT_ID_PATTERN,
    CONNECTION_ID_PATTERN,
    DOMAIN_PATTERN,
    GUID_PATTERN,
    ROLE_PATTERN,
    TEAM_ID_PATTERN,
)
from services.gateway.domain.tenant_config import WEBHOOK_URL_PATTERN
from services.gateway.http.schemas.types import (
    Boolean,
    Domain,
    Email,
    Integer,
    IsoDate,
    Line200,
    Name,
    Number,
    Pem,
    RepId,
    StrictModel,
    bounded_integer,
    check_exactly_one_of,
    exactly_one_of,
)

# Setting names scoring knows (docs/scoring.md): any other is refused, never stored.
if TYPE_CHECKING:
    WeightName = str
    ThresholdName = str
else:  # an enum in the OpenAPI document (`propertyNames`), built from the contract's names
    WeightName = Literal[tuple(sorted(WEIGHT_NAMES))]
    ThresholdName = Literal[tuple(sorted(THRESHOLD_NAMES))]


class TeamIn(StrictModel):
    team_id: Annotated[str, Field(pattern=TEAM_ID_PATTERN)]
    name: Line200 = ""
    manager_rep_id: RepId | None = None
    member_rep_ids: Annotated[list[RepId], Field(max_length=5_000)] = Field(default_factory=list)


class PersonIn(StrictModel):
    """Someone expected in the CRM: their name on the pages, their role's expectations, and the
    date before which they are never judged."""

    rep_id: RepId
    display_name: Line200 = ""
    email: Email | None = None
    role: Annotated[str, Field(pattern=ROLE_PATTERN)] = Field(
        default="rep",
        description=(
            "manager, sdr, account_executive, account_manager (customer success), data_steward, rep, "
            "or a role of the tenant's own"
        ),
    )
    start_date: IsoDate | None = Field(default=None, description="not judged before it (default: go-live)")


class RoleProfileIn(StrictModel):
    """What people of one role are expected to do: weights and thresholds overriding the tenant's (a
    weight of 0: not expected of the role, shown but not scored). Defaults: docs/scoring.md, "Roles"."""

    role: Annotated[str, Field(pattern=ROLE_PATTERN)] = Field(examples=["sdr"])
    score_weights: Annotated[
        dict[WeightName, Annotated[Number, Field(ge=0, allow_inf_nan=False)]], Field(max_length=100)
    ] = Field(default_factory=dict)
    thresholds: Annotated[
        dict[ThresholdName, Annotated[Number, Field(allow_inf_nan=False)]], Field(max_length=100)
    ] = Field(default_factory=dict)


if TYPE_CHECKING:
    WindowDays = int
else:
    WindowDays = bounded_integer(ge=MIN_WINDOW_DAYS, le=MAX_WINDOW_DAYS)


class WebhookIn(StrictModel):
    """Where the weekly digest and the alerts are posted (a Slack incoming webhook, or any endpoint),
    signed with `signing_secret` (docs/operations.md). The secret is never shown again."""

    url: Annotated[str, Field(max_length=2_048, pattern=WEBHOOK_URL_PATTERN)]
    signing_secret: Annotated[str, Field(max_length=256, pattern=r"^[!-~]*$")] = Field(
        default="", description="16-256 characters; empty keeps the one stored for this url"
    )
    sealed_signing_secret: Annotated[str, Field(max_length=0)] = Field(
        default="",
        description="always empty: the gateway stores the secret sealed and never shows it; accepted "
        "(empty) so that a configuration read back can be sent again as it is",
    )


class TenantConfigIn(StrictModel):
    """The whole configuration (a PUT replaces it). Teams define what manager keys may see.

    Rules across items (a 400 naming the broken one): team ids unique, each person listed once, a
    rep a member of at most one team, no duplicate in a list (domains compared lower-cased)."""

    internal_domains: Annotated[list[Domain], Field(max_length=200)] = Field(default_factory=list)
    free_mail_domains: Annotated[list[Domain], Field(max_length=200)] = Field(default_factory=list)
    required_opportunity_fields: Annotated[list[Name], Field(max_length=200)] = Field(default_factory=list)
    stages: Annotated[list[Name], Field(max_length=100)] = Field(
        default_factory=list, description="ordered, open stages first"
    )
    go_live_date: IsoDate | None = None
    teams: Annotated[list[TeamIn], Field(max_length=500)] = Field(default_factory=list)
    people: Annotated[list[PersonIn], Field(max_length=20_000)] = Field(
        default_factory=list, description="who is expected in the CRM, with role and start date"
    )
    score_weights: Annotated[
        dict[WeightName, Annotated[Number, Field(ge=0, allow_inf_nan=False)]], Field(max_length=100)
    ] = Field(default_factory=dict, description="overrides of the documented defaults (docs/scoring.md)")
    thresholds: Annotated[
        dict[ThresholdName, Annotated[Number, Field(allow_inf_nan=False)]], Field(max_length=100)
    ] = Field(default_factory=dict, description="overrides of the documented defaults (docs/scoring.md)")
    role_profiles: Annotated[list[RoleProfileIn], Field(max_length=MAX_ROLE_PROFILES)] = Field(
        default_factory=list, description="per-role expectations overriding the built-in role defaults"
    )
    notification_webhooks: Annotated[list[WebhookIn], Field(max_length=10)] = Field(
        default_factory=list, description="the weekly data-quality digest and alerts go here (signed)"
    )
    uses_write_back: Boolean = False
    window_days: WindowDays = DEFAULT_WINDOW_DAYS
    change_reference: Name | None = Field(
        default=None,
        description="the CRM's own name for the change this version makes (a deployment id, a release "
        "name); shown beside each change in the customization debt",
    )
    expected_version: Integer | None = Field(
        default=None, description="refuse the update (409) unless the current version is this one"
    )

    def to_proto(self) -> crm_pb2.TenantConfig:
        return crm_pb2.TenantConfig(
            internal_domains=self.internal_domains,
            free_mail_domains=self.free_mail_domains,
            required_opportunity_fields=self.required_opportunity_fields,
            stages=self.stages,
            go_live_date=self.go_live_date.isoformat() if self.go_live_date else "",
            teams=[
                crm_pb2.Team(
                    team_id=t.team_id,
                    name=t.name,
                    manager_rep_id=t.manager_rep_id or "",
                    member_rep_ids=t.member_rep_ids,
                )
                for t in self.teams
            ],
            people=[
                crm_pb2.Person(
                    rep_id=p.rep_id,
                    display_name=p.display_name,
                    email=p.email or "",
                    role=p.role,
                    start_date=p.start_date.isoformat() if p.start_date else "",
                )
                for p in self.people
            ],
            score_weights=self.score_weights,
            thresholds=self.thresholds,
            role_profiles=[
                crm_pb2.RoleProfile(role=r.role, score_weights=r.score_weights, thresholds=r.thresholds)
                for r in self.role_profiles
            ],
            notification_webhooks=[
                crm_pb2.NotificationWebhook(url=w.url, signing_secret=w.signing_secret)
                for w in self.notification_webhooks
            ],
            uses_write_back=self.uses_write_back,
            window_days=self.window_days,
            change_reference=self.change_reference or "",
        )


CAPTURE_LEVELS: dict[str, c.CaptureLevel.ValueType] = {
    "metadata": c.CAPTURE_LEVEL_METADATA,
    "subject": c.CAPTURE_LEVEL_SUBJECT,
}


class CapturePolicyIn(StrictModel):
    capture_level: Literal["metadata", "subject"] = "metadata"
    internal_domains: Annotated[list[Domain], Field(max_length=1_000)] = Field(default_factory=list)
    excluded_addresses: Annotated[list[Email], Field(max_length=1_000)] = Field(default_factory=list)
    excluded_domains: Annotated[list[Domain], Field(max_length=1_000)] = Field(default_factory=list)


ConnectionId = Annotated[str, Field(pattern=CONNECTION_ID_PATTERN)]
_TEXT = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*"  # free text (plumbing/contracts/text.py)
ClientId = Annotated[str, Field(pattern=CLIENT_ID_PATTERN)]
DirectoryId = Annotated[
    str, Field(max_length=253, pattern=f"^(?:{GUID_PATTERN[1:-1]}|{DOMAIN_PATTERN[1:-1]})$")
]
Secret = Annotated[str, Field(min_length=1, max_length=16_384, pattern=r"^[^\x00-\x1f\x7f]+$")]
# A PEM private key (PKCS#8 or the older RSA/EC forms): what capture can sign with.
PrivateKeyPem = Annotated[
    Pem,
    Field(pattern=f"^{_TEXT}-----BEGIN [A-Z ]*PRIVATE KEY-----{_TEXT}$"),
]


class CertificateIn(StrictModel):
    private_key_pem: PrivateKeyPem
    thumbprint: Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{40}$")]
    public_certificate_pem: Annotated[str, Field(max_length=16_384, pattern=f"^{_TEXT}$")] = ""


class MicrosoftConnectionIn(StrictModel):
    """A Microsoft 365 app registration with application permissions; give one credential."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=exactly_one_of("client_secret", "certificate")
    )

    @model_validator(mode="after")
    def _one_credential(self) -> MicrosoftConnectionIn:
        check_exactly_one_of(self, "client_secret", "certificate")
        return self

    connection_id: ConnectionId | None = None
    directory_tenant_id: DirectoryId = Field(description="the Entra tenant's id (GUID) or primary domain")
    client_id: ClientId = Field(description="the application (client) id")
    client_secret: Secret | None = None
    certificate: CertificateIn | None = None

    def to_proto(self) -> c.RegisterMicrosoftConnectionRequest:
        request = c.RegisterMicrosoftConnectionRequest(
            connection_id=self.connection_id or "",
            directory_tenant_id=self.directory_tenant_id,
            client_id=self.client_id,
        )
        if self.client_secret is not None:
            request.client_secret = self.client_secret
        if self.certificate is not None:
            request.certificate.CopyFrom(
                c.CertificateCredential(
                    private_key_pem=self.certificate.private_key_pem,
                    thumbprint=self.certificate.thumbprint,
                    public_certificate_pem=self.certificate.public_certificate_pem,
                )
            )
        return request


KeyText = Annotated[str, Field(max_length=4_096, pattern=r"^[^\x00-\x1f\x7f]*$")]


class ServiceAccountKeyIn(BaseModel):
    """A Google service-account key file as downloaded: the fields capture signs with are required;
    any other field of the file is kept as long as it is a string."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, KeyText] = Field(init=False)

    type: Literal["service_account"]
    client_email: Email
    private_key: Annotated[
        str,
        Field(
            max_length=8_192,
            pattern=f"^{_TEXT}-----BEGIN PRIVATE KEY-----{_TEXT}$",
        ),
    ]
    token_uri: Annotated[
        str,
        Field(
            max_length=2_048,
            pattern=r"^(https://|http://127\.0\.0\.1[:/]|http://localhost[:/])[^\x00-\x20\x7f]*$",
        ),
    ] = "https://oauth2.googleapis.com/token"


class GoogleConnectionIn(StrictModel):
    """A Google Workspace service account with domain-wide delegation."""

    connection_id: ConnectionId | None = None
    service_account_key: ServiceAccountKeyIn = Field(description="the downloaded JSON key file, as an object")
    workspace_domain: Domain


class MailboxIn(StrictModel):
    address: Email
    rep_id: RepId


class MailboxesIn(StrictModel):
    mailboxes: Annotated[list[MailboxIn], Field(min_length=1, max_length=1_000)]


class SyncIn(StrictModel):
    mailbox: Email | None = Field(default=None, description="absent: every mailbox of the tenant")
    full_resync: Boolean = Field(default=False, description="drop cursors and backfill again (harmless)")


class CaptureErasureRead(BaseModel):
    mailboxes_removed: int


class ScoringErasureRead(BaseModel):
    activities_deleted: int
    aggregates_deleted: int
    scores_deleted: int


class ErasureRead(BaseModel):
    rep_id: str
    capture: CaptureErasureRead
    scoring: ScoringErasureRead
    revoked_key_ids: list[str]
