"""The CaptureAdmin use cases on in-memory ports: validation order, what is sealed and stored, when
the engine is told, and which error each refusal is."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from groundtruth.activity.v1 import activity_pb2
from services.capture.domain.credentials import Certificate, ClientSecret, MicrosoftCredential
from services.capture.domain.privacy import CaptureLevel
from services.capture.domain.status import MailboxStatus, SyncState
from services.capture.domain.validation import Invalid
from services.capture.operations import connections, mailboxes, policy, status
from services.capture.operations.connections import GoogleRegistration, MicrosoftRegistration
from services.capture.operations.errors import AlreadyExists, NotFound
from services.capture.ports import MailboxAssignment, SecretsUnavailable, StoredTenantPolicy
from tests.unit.capture.admin_fakes import AdminWorld

TENANT = "acme"
DIRECTORY = "contoso.onmicrosoft.com"
CLIENT = "11111111-2222-3333-4444-555555555555"


@cache
def pem(kind: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def microsoft(credential: MicrosoftCredential | None = None, **overrides: str) -> MicrosoftRegistration:
    fields = {"tenant_id": TENANT, "connection_id": "", "directory_tenant_id": DIRECTORY, "client_id": CLIENT}
    fields.update(overrides)
    return MicrosoftRegistration(**fields, credential=credential)


def google_key(**overrides: str) -> str:
    key = {
        "type": "service_account",
        "client_email": "Capture@Acme-Project.iam.gserviceaccount.com",
        "private_key": pem("rsa"),
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    key.update(overrides)
    return json.dumps(key)


async def with_connection(world: AdminWorld, connection_id: str = "ms-main") -> None:
    registration = microsoft(ClientSecret("s3cret"), connection_id=connection_id)
    await connections.register_microsoft_connection(world.ports, registration)


# --- connections ------------------------------------------------------------------------------------


async def test_a_microsoft_connection_is_sealed_stored_and_the_engine_told() -> None:
    world = AdminWorld()
    stored = await connections.register_microsoft_connection(world.ports, microsoft(ClientSecret("s3cret")))
    assert stored.connection_id.startswith("ms-")
    assert (stored.tenant_id, stored.provider) == (TENANT, activity_pb2.PROVIDER_MICROSOFT)
    assert (stored.directory_tenant_id, stored.client_id, stored.has_credentials) == (DIRECTORY, CLIENT, True)
    assert world.secrets.documents == [{"kind": "secret", "client_secret": "s3cret"}]
    assert world.store.sealed[stored.connection_id].startswith(b"sealed:")
    assert world.sync.reconciles == 1


@pytest.mark.parametrize(
    ("registration", "message"),
    [
        pytest.param(microsoft(None, tenant_id="", directory_tenant_id="x"), "tenant_id", id="tenant first"),
        pytest.param(microsoft(None), "a credential is required", id="no credential"),
        pytest.param(microsoft(ClientSecret("  ")), "client_secret must be 1 to 1024", id="blank secret"),
        pytest.param(
            microsoft(ClientSecret("s"), directory_tenant_id="common"), "directory_tenant_id", id="directory"
        ),
        pytest.param(
            microsoft(Certificate("not a key", "AB" * 20)), "not an unencrypted PEM", id="unreadable key"
        ),
    ],
)
async def test_a_bad_microsoft_registration_stores_nothing(
    registration: MicrosoftRegistration, message: str
) -> None:
    world = AdminWorld()
    with pytest.raises(Invalid, match=re.escape(message)):
        await connections.register_microsoft_connection(world.ports, registration)
    assert (world.secrets.documents, world.store.connections, world.sync.reconciles) == ([], {}, 0)


async def test_a_certificate_must_hold_an_rsa_key_and_a_sha1_thumbprint() -> None:
    world = AdminWorld()
    with pytest.raises(Invalid, match="must be an RSA private key"):
        await connections.register_microsoft_connection(
            world.ports, microsoft(Certificate(pem("ec"), "AB" * 20))
        )
    with pytest.raises(Invalid, match="thumbprint"):
        await connections.register_microsoft_connection(world.ports, microsoft(Certificate(pem("rsa"), "AB")))
    await connections.register_microsoft_connection(
        world.ports, microsoft(Certificate(pem("rsa"), "ab" * 20))
    )
    assert world.secrets.documents == [
        {"kind": "certificate", "private_key_pem": pem("rsa"), "thumbprint": "AB" * 20}
    ]


async def test_without_a_key_nothing_is_stored() -> None:
    world = AdminWorld().without_key()
    with pytest.raises(SecretsUnavailable):
        await connections.register_microsoft_connection(world.ports, microsoft(ClientSecret("s3cret")))
    assert (world.store.connections, world.sync.reconciles) == ({}, 0)


async def test_an_id_held_by_another_tenant_already_exists_and_nothing_changes() -> None:
    world = AdminWorld()
    await with_connection(world, "shared")
    other = microsoft(ClientSecret("other"), tenant_id="globex", connection_id="shared")
    with pytest.raises(AlreadyExists, match=re.escape("'shared' is already in use")):
        await connections.register_microsoft_connection(world.ports, other)
    assert world.store.connections["shared"].tenant_id == TENANT
    assert world.sync.reconciles == 1


async def test_a_google_connection_keeps_the_key_file_and_the_lower_cased_account() -> None:
    world = AdminWorld()
    key = google_key()
    registration = GoogleRegistration(TENANT, "", key, "Acme.Example")
    stored = await connections.register_google_connection(world.ports, registration)
    assert stored.connection_id.startswith("gws-")
    assert (stored.workspace_domain, stored.service_account_email) == (
        "acme.example",
        "capture@acme-project.iam.gserviceaccount.com",
    )
    assert world.secrets.documents == [{"kind": "service_account", "key_json": key}]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        pytest.param("{", "not JSON", id="not json"),
        pytest.param(google_key(type="user"), '"type" must be "service_account"', id="wrong type"),
        pytest.param(
            google_key(private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
            "private_key is not an unencrypted PEM",
            id="unreadable key",
        ),
    ],
)
async def test_a_bad_google_key_stores_nothing(key: str, message: str) -> None:
    world = AdminWorld()
    with pytest.raises(Invalid, match=re.escape(message)):
        await connections.register_google_connection(
            world.ports, GoogleRegistration(TENANT, "", key, "acme.example")
        )
    assert world.store.connections == {}


async def test_deleting_a_connection_stops_its_mailboxes_and_another_tenants_is_not_found() -> None:
    world = AdminWorld()
    await with_connection(world)
    with pytest.raises(NotFound, match=re.escape("no connection 'ms-main'")):
        await connections.delete_connection(world.ports, tenant_id="globex", connection_id="ms-main")
    await connections.delete_connection(world.ports, tenant_id=TENANT, connection_id="ms-main")
    assert await connections.list_connections(world.ports, tenant_id=TENANT) == []
    assert world.sync.reconciles == 2


# --- mailboxes and status ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        pytest.param([], "at least one is required", id="none"),
        pytest.param([MailboxAssignment("ann", "rep-ann")], "is not an e-mail address", id="bad address"),
        pytest.param([MailboxAssignment("ann@acme.example", "")], "mailboxes.rep_id", id="bad rep"),
        pytest.param(
            [MailboxAssignment("Ann@Acme.example", "rep-a"), MailboxAssignment("ann@acme.example ", "rep-b")],
            "an address appears twice",
            id="twice once normalized",
        ),
    ],
)
async def test_bad_mailbox_lists_are_refused_before_anything_is_looked_up(
    assignments: list[MailboxAssignment], message: str
) -> None:
    world = AdminWorld()
    with pytest.raises(Invalid, match=re.escape(message)):
        # The connection does not exist either: the input is checked first.
        await mailboxes.upsert_mailboxes(
            world.ports, tenant_id=TENANT, connection_id="none", mailboxes=assignments
        )


async def test_mailboxes_need_the_tenants_own_connection() -> None:
    world = AdminWorld()
    await with_connection(world)
    wanted = [MailboxAssignment("ann@acme.example", "rep-ann")]
    with pytest.raises(NotFound, match=re.escape("no connection 'ms-main'")):
        await mailboxes.upsert_mailboxes(
            world.ports, tenant_id="globex", connection_id="ms-main", mailboxes=wanted
        )
    assert world.store.mailboxes == {}


async def test_upserted_mailboxes_are_normalized_and_report_the_running_workers_status() -> None:
    world = AdminWorld()
    await with_connection(world)
    world.sync.live[2] = MailboxStatus(state=SyncState.THROTTLED)
    views = await mailboxes.upsert_mailboxes(
        world.ports,
        tenant_id=TENANT,
        connection_id="ms-main",
        mailboxes=[
            MailboxAssignment(" Bob@Acme.example", "rep-bob"),
            MailboxAssignment("ann@acme.example", "rep-ann"),
        ],
    )
    assert [(v.mailbox.address, v.mailbox.rep_id, v.status.state) for v in views] == [
        ("ann@acme.example", "rep-ann", SyncState.THROTTLED),  # the live status, not the saved one
        ("bob@acme.example", "rep-bob", SyncState.PENDING),
    ]
    assert world.sync.reconciles == 2


async def test_removing_and_triggering_a_mailbox_that_is_not_there_is_not_found() -> None:
    world = AdminWorld()
    with pytest.raises(NotFound, match=re.escape("no mailbox 'ann@acme.example'")):
        await mailboxes.remove_mailbox(world.ports, tenant_id=TENANT, address=" Ann@Acme.example")
    with pytest.raises(NotFound, match=re.escape("no mailbox 'ann@acme.example'")):
        await status.trigger_sync(world.ports, tenant_id=TENANT, mailbox="ann@acme.example")
    assert (world.sync.reconciles, world.sync.triggered) == (0, [])


async def test_trigger_wakes_every_mailbox_of_the_tenant_and_can_resync_them() -> None:
    world = AdminWorld()
    await with_connection(world)
    await mailboxes.upsert_mailboxes(
        world.ports,
        tenant_id=TENANT,
        connection_id="ms-main",
        mailboxes=[
            MailboxAssignment("ann@acme.example", "rep-ann"),
            MailboxAssignment("bob@acme.example", "rep-bob"),
        ],
    )
    views = await status.trigger_sync(world.ports, tenant_id=TENANT, full_resync=True)
    assert world.sync.triggered == [([1, 2], True)]
    assert [v.mailbox.address for v in views] == ["ann@acme.example", "bob@acme.example"]
    one = await status.get_sync_status(world.ports, tenant_id=TENANT, mailbox="BOB@acme.example")
    assert [v.mailbox.mailbox_id for v in one] == [2]


async def test_erasing_a_rep_removes_their_mailboxes_and_rereads_the_policies() -> None:
    world = AdminWorld()
    await with_connection(world)
    await mailboxes.upsert_mailboxes(
        world.ports,
        tenant_id=TENANT,
        connection_id="ms-main",
        mailboxes=[
            MailboxAssignment("ann@acme.example", "rep-ann"),
            MailboxAssignment("bob@acme.example", "rep-bob"),
        ],
    )
    await policy.set_rep_exclusions(
        world.ports,
        tenant_id=TENANT,
        rep_id="rep-ann",
        excluded_addresses=["x@y.example"],
        excluded_domains=[],
    )
    assert await mailboxes.erase_rep(world.ports, tenant_id=TENANT, rep_id="rep-ann") == 1
    assert [m.address for m in world.store.mailboxes.values()] == ["bob@acme.example"]
    assert world.store.exclusions == {}
    assert world.sync.invalidated == [TENANT, TENANT]
    assert await mailboxes.erase_rep(world.ports, tenant_id=TENANT, rep_id="rep-nobody") == 0


# --- policy -----------------------------------------------------------------------------------------


async def test_a_tenant_without_a_policy_captures_metadata_with_no_exclusions() -> None:
    world = AdminWorld()
    assert await policy.get_capture_policy(world.ports, tenant_id=TENANT) == StoredTenantPolicy(TENANT)
    exclusions = await policy.get_rep_exclusions(world.ports, tenant_id=TENANT, rep_id="rep-ann")
    assert (exclusions.excluded_addresses, exclusions.excluded_domains) == ((), ())


async def test_a_policy_is_normalized_stored_and_applied_from_the_next_page() -> None:
    world = AdminWorld()
    stored = await policy.set_capture_policy(
        world.ports,
        tenant_id=TENANT,
        capture_level=CaptureLevel.SUBJECT,
        internal_domains=["@Acme.example", "acme.example."],
        excluded_addresses=["CEO@Acme.example"],
        excluded_domains=[],
    )
    assert stored == StoredTenantPolicy(
        TENANT, CaptureLevel.SUBJECT, ["acme.example"], ["ceo@acme.example"], []
    )
    assert await policy.get_capture_policy(world.ports, tenant_id=TENANT) == stored
    assert world.sync.invalidated == [TENANT]


@pytest.mark.parametrize(
    ("tenant_id", "message"),
    [
        pytest.param("", "tenant_id is required", id="the tenant is checked first"),
        pytest.param(TENANT, "policy.capture_level is not a known level", id="then the level"),
    ],
)
async def test_an_unknown_capture_level_is_refused(tenant_id: str, message: str) -> None:
    world = AdminWorld()
    with pytest.raises(Invalid, match=re.escape(message)):
        await policy.set_capture_policy(
            world.ports,
            tenant_id=tenant_id,
            capture_level=None,
            internal_domains=[],
            excluded_addresses=[],
            excluded_domains=[],
        )
    assert (world.store.policies, world.sync.invalidated) == ({}, [])


async def test_rep_exclusions_name_their_own_fields_when_refused() -> None:
    world = AdminWorld()
    with pytest.raises(Invalid, match=re.escape("exclusions.rep_id")):
        await policy.set_rep_exclusions(
            world.ports, tenant_id=TENANT, rep_id="", excluded_addresses=[], excluded_domains=[]
        )
    with pytest.raises(Invalid, match=re.escape("exclusions.excluded_domains")):
        await policy.set_rep_exclusions(
            world.ports, tenant_id=TENANT, rep_id="rep-ann", excluded_addresses=[], excluded_domains=["no"]
        )
