"""The CaptureAdmin gRPC API against real PostgreSQL: validation, tenancy, secrets at rest, policy."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import grpc
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from groundtruth.capture.v1 import capture_pb2, capture_pb2_grpc
from services.capture.adapters.secret_box import new_key
from services.capture.app import RunningCapture, running_capture
from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator
from tests.conftest import eventually
from tests.integration.capture.harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    DOMAIN,
    TENANT,
    admin_client,
    capture_settings,
    org_spec,
    running_emulator,
    statuses,
)
from tests.integration.conftest import Isolated

pytestmark = pytest.mark.integration
Admin: TypeAlias = "capture_pb2_grpc.CaptureAdminAsyncStub"


@dataclass(frozen=True)
class Rig:
    emulator: MicrosoftEmulator
    capture: RunningCapture
    admin: Admin

    @property
    def directory(self) -> str:
        return next(iter(self.emulator.state.orgs.values())).tenant_id


@pytest.fixture(scope="module")
async def rig(isolated: Isolated, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    async with (
        running_emulator(Path(tmp_path_factory.mktemp("ms-admin")), org_spec(1, messages=4, events=2)) as emu,
        running_capture(capture_settings(isolated, emu, emu.tls, public_base_url="")) as capture,
        admin_client(capture.grpc_port, isolated.client_tls) as admin,
    ):
        yield Rig(emu, capture, admin)


async def rejected(call: object, code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call  # type: ignore[misc]
    assert error.value.code() == code, error.value.details()
    return str(error.value.details())


def ms_request(rig: Rig, **overrides: object) -> capture_pb2.RegisterMicrosoftConnectionRequest:
    values: dict[str, object] = {
        "tenant_id": TENANT,
        "connection_id": "ms-admin",
        "directory_tenant_id": rig.directory,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **overrides,
    }
    return capture_pb2.RegisterMicrosoftConnectionRequest(**values)  # type: ignore[arg-type]


async def test_secrets_go_in_encrypted_and_never_come_out(rig: Rig) -> None:
    created = await rig.admin.RegisterMicrosoftConnection(ms_request(rig))
    assert created.has_credentials and created.client_id == CLIENT_ID
    listed = await rig.admin.ListConnections(capture_pb2.ListConnectionsRequest(tenant_id=TENANT))
    assert [c.connection_id for c in listed.connections] == ["ms-admin"]
    assert CLIENT_SECRET not in str(listed)
    stored = await rig.capture.pool.fetchval(
        "SELECT credential FROM connections WHERE connection_id = 'ms-admin'"
    )
    assert CLIENT_SECRET.encode() not in stored
    assert stored.startswith(b"gAAAAA")  # a Fernet token
    # Another tenant can neither see nor take the connection.
    other = await rig.admin.ListConnections(capture_pb2.ListConnectionsRequest(tenant_id="globex"))
    assert list(other.connections) == []
    await rejected(
        rig.admin.RegisterMicrosoftConnection(ms_request(rig, tenant_id="globex")),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    await rejected(
        rig.admin.DeleteConnection(
            capture_pb2.DeleteConnectionRequest(tenant_id="globex", connection_id="ms-admin")
        ),
        grpc.StatusCode.NOT_FOUND,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"tenant_id": ""}, "tenant_id", id="no tenant"),
        pytest.param({"tenant_id": "a b"}, "tenant_id", id="bad tenant"),
        pytest.param({"directory_tenant_id": "not a tenant!"}, "directory_tenant_id", id="bad directory"),
        pytest.param({"client_id": ""}, "client_id", id="no client id"),
        pytest.param({"client_secret": None}, "credential", id="no credential"),
        pytest.param({"connection_id": "has space"}, "connection_id", id="bad connection id"),
    ],
)
async def test_microsoft_registration_is_validated(
    rig: Rig, overrides: dict[str, object], message: str
) -> None:
    request = ms_request(rig, **{k: v for k, v in overrides.items() if v is not None})
    if "client_secret" in overrides and overrides["client_secret"] is None:
        request.ClearField("client_secret")
    assert message in await rejected(rig.admin.RegisterMicrosoftConnection(request))


async def test_certificate_credentials_are_checked_and_work_with_msal(rig: Rig) -> None:
    bad = capture_pb2.CertificateCredential(private_key_pem="nope", thumbprint="00" * 20)
    assert "private_key_pem" in await rejected(
        rig.admin.RegisterMicrosoftConnection(ms_request(rig, client_secret=None, certificate=bad))
    )
    # Entra signs client assertions with RSA keys only.
    cert = trustme.CA().issue_cert("capture.contoso.example", key_type=trustme.KeyType.RSA)
    certificate_pem = cert.cert_chain_pems[0].bytes().decode()
    der = x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(serialization.Encoding.DER)
    key_pem = cert.private_key_pem.bytes().decode()
    bad_thumbprint = capture_pb2.CertificateCredential(private_key_pem=key_pem, thumbprint="xyz")
    assert "thumbprint" in await rejected(
        rig.admin.RegisterMicrosoftConnection(ms_request(rig, certificate=bad_thumbprint))
    )
    rig.emulator.add_app(rig.directory, "cert-app", certificate_pem=certificate_pem)
    good = capture_pb2.CertificateCredential(
        private_key_pem=key_pem, thumbprint=hashlib.sha1(der).hexdigest()
    )
    await rig.admin.RegisterMicrosoftConnection(
        ms_request(rig, connection_id="ms-cert", client_id="cert-app", certificate=good)
    )
    mailbox = f"rep0001@{DOMAIN}"
    await rig.admin.UpsertMailboxes(
        capture_pb2.UpsertMailboxesRequest(
            tenant_id=TENANT,
            connection_id="ms-cert",
            mailboxes=[capture_pb2.MailboxAssignment(address=mailbox.upper(), rep_id="rep-1")],
        )
    )

    async def idle() -> bool:
        status = (await statuses(rig.admin)).get(mailbox)
        return status is not None and status.state == "idle" and status.items_captured > 0

    await eventually(idle, timeout_sec=20)
    assert key_pem.split("\n")[1] not in str(
        await rig.capture.pool.fetchval("SELECT credential FROM connections WHERE connection_id = 'ms-cert'")
    )


def google_key(**overrides: object) -> str:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key: dict[str, object] = {
        "type": "service_account",
        "project_id": "acme-capture",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "capture@acme-capture.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
        **overrides,
    }
    return json.dumps({k: v for k, v in key.items() if v is not None})


@pytest.mark.parametrize(
    ("key", "message"),
    [
        pytest.param("{not json", "not JSON", id="not json"),
        pytest.param("[]", "JSON object", id="not an object"),
        pytest.param(google_key(type="authorized_user"), '"type"', id="wrong type"),
        pytest.param(google_key(client_email=None), "client_email", id="no client_email"),
        pytest.param(
            google_key(private_key="-----BEGIN PRIVATE KEY-----\nxx"), "private_key", id="broken key"
        ),
        pytest.param(google_key(token_uri="ftp://x"), "token_uri", id="bad token uri"),
    ],
)
async def test_google_registration_validates_the_key_json(rig: Rig, key: str, message: str) -> None:
    request = capture_pb2.RegisterGoogleConnectionRequest(
        tenant_id=TENANT, service_account_key_json=key, workspace_domain="acme.example"
    )
    assert message in await rejected(rig.admin.RegisterGoogleConnection(request))


async def test_google_registration_stores_the_key_encrypted(rig: Rig) -> None:
    key = google_key()
    created = await rig.admin.RegisterGoogleConnection(
        capture_pb2.RegisterGoogleConnectionRequest(
            tenant_id=TENANT,
            connection_id="gws-1",
            service_account_key_json=key,
            workspace_domain="ACME.example",
        )
    )
    assert created.provider == capture_pb2.CONNECTION_PROVIDER_GOOGLE
    assert created.service_account_email == "capture@acme-capture.iam.gserviceaccount.com"
    assert created.workspace_domain == "acme.example"
    stored = await rig.capture.pool.fetchval(
        "SELECT credential FROM connections WHERE connection_id = 'gws-1'"
    )
    assert b"PRIVATE KEY" not in stored
    assert "PRIVATE KEY" not in str(created)


async def test_mailboxes_policy_exclusions_and_erasure(rig: Rig) -> None:
    await rig.admin.RegisterMicrosoftConnection(ms_request(rig, connection_id="ms-policy"))
    upsert = capture_pb2.UpsertMailboxesRequest
    assign = capture_pb2.MailboxAssignment
    await rejected(
        rig.admin.UpsertMailboxes(
            upsert(
                tenant_id=TENANT, connection_id="nope", mailboxes=[assign(address="a@b.example", rep_id="r")]
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert "address" in await rejected(
        rig.admin.UpsertMailboxes(
            upsert(
                tenant_id=TENANT, connection_id="ms-policy", mailboxes=[assign(address="nobody", rep_id="r")]
            )
        )
    )
    assert "twice" in await rejected(
        rig.admin.UpsertMailboxes(
            upsert(
                tenant_id=TENANT,
                connection_id="ms-policy",
                mailboxes=[
                    assign(address="x@b.example", rep_id="r"),
                    assign(address="X@b.example", rep_id="r"),
                ],
            )
        )
    )
    created = await rig.admin.UpsertMailboxes(
        upsert(
            tenant_id=TENANT,
            connection_id="ms-policy",
            mailboxes=[
                assign(address="Gone.Rep@other.example", rep_id="rep-gone"),
                assign(address="kept@other.example", rep_id="rep-kept"),
            ],
        )
    )
    assert sorted(m.mailbox for m in created.mailboxes) == ["gone.rep@other.example", "kept@other.example"]

    policy = await rig.admin.SetCapturePolicy(
        capture_pb2.SetCapturePolicyRequest(
            policy=capture_pb2.CapturePolicy(
                tenant_id=TENANT,
                capture_level=capture_pb2.CAPTURE_LEVEL_SUBJECT,
                internal_domains=["Contoso.example", "@contoso-labs.example"],
                excluded_addresses=["CEO@Rival.example"],
                excluded_domains=["lawfirm.example"],
            )
        )
    )
    assert list(policy.internal_domains) == ["contoso-labs.example", "contoso.example"]
    assert list(policy.excluded_addresses) == ["ceo@rival.example"]
    fetched = await rig.admin.GetCapturePolicy(capture_pb2.GetCapturePolicyRequest(tenant_id=TENANT))
    assert fetched == policy
    default = await rig.admin.GetCapturePolicy(capture_pb2.GetCapturePolicyRequest(tenant_id="fresh-tenant"))
    assert default.capture_level == capture_pb2.CAPTURE_LEVEL_METADATA
    assert "internal_domains" in await rejected(
        rig.admin.SetCapturePolicy(
            capture_pb2.SetCapturePolicyRequest(
                policy=capture_pb2.CapturePolicy(tenant_id=TENANT, internal_domains=["not a domain"])
            )
        )
    )
    exclusions = await rig.admin.SetRepExclusions(
        capture_pb2.SetRepExclusionsRequest(
            exclusions=capture_pb2.RepExclusions(
                tenant_id=TENANT, rep_id="rep-gone", excluded_domains=["home.example"]
            )
        )
    )
    assert list(exclusions.excluded_domains) == ["home.example"]

    erased = await rig.admin.EraseRep(capture_pb2.EraseRepRequest(tenant_id=TENANT, rep_id="rep-gone"))
    assert erased.mailboxes_removed == 1
    remaining = await statuses(rig.admin)
    assert "gone.rep@other.example" not in remaining and "kept@other.example" in remaining
    after = await rig.admin.GetRepExclusions(
        capture_pb2.GetRepExclusionsRequest(tenant_id=TENANT, rep_id="rep-gone")
    )
    assert list(after.excluded_domains) == []

    await rig.admin.RemoveMailbox(
        capture_pb2.RemoveMailboxRequest(tenant_id=TENANT, address="kept@other.example")
    )
    await rejected(
        rig.admin.RemoveMailbox(
            capture_pb2.RemoveMailboxRequest(tenant_id=TENANT, address="kept@other.example")
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await rig.admin.DeleteConnection(
        capture_pb2.DeleteConnectionRequest(tenant_id=TENANT, connection_id="ms-policy")
    )
    listed = await rig.admin.ListConnections(capture_pb2.ListConnectionsRequest(tenant_id=TENANT))
    assert "ms-policy" not in [c.connection_id for c in listed.connections]


async def test_trigger_full_resync_republishes_nothing_unchanged(rig: Rig) -> None:
    await rig.admin.RegisterMicrosoftConnection(ms_request(rig, connection_id="ms-resync"))
    mailbox = f"resync@{DOMAIN}"
    rig.emulator.add_mailbox(rig.directory, mailbox)
    rig.emulator.add_message(mailbox, sender="buyer@northwind.example", to=[mailbox])
    await rig.admin.UpsertMailboxes(
        capture_pb2.UpsertMailboxesRequest(
            tenant_id=TENANT,
            connection_id="ms-resync",
            mailboxes=[capture_pb2.MailboxAssignment(address=mailbox, rep_id="rep-resync")],
        )
    )

    async def captured(count: int) -> bool:
        status = (await statuses(rig.admin)).get(mailbox)
        return status is not None and status.state == "idle" and status.items_captured == count

    await eventually(lambda: captured(1), timeout_sec=20)
    answer = await rig.admin.TriggerSync(
        capture_pb2.TriggerSyncRequest(tenant_id=TENANT, mailbox=mailbox, full_resync=True)
    )
    assert [m.mailbox for m in answer.mailboxes] == [mailbox]
    generations = await rig.capture.pool.fetch(
        "SELECT c.generation FROM cursors c JOIN mailboxes m USING (mailbox_id) WHERE m.address = $1", mailbox
    )
    assert {g["generation"] for g in generations} == {2}
    await eventually(lambda: captured(1), timeout_sec=20)
    await rejected(
        rig.admin.TriggerSync(capture_pb2.TriggerSyncRequest(tenant_id=TENANT, mailbox="nobody@x.example")),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_a_credential_sealed_with_an_unknown_key_is_an_error_not_a_crash(
    rig: Rig, isolated: Isolated
) -> None:
    # A second capture process started with the wrong key against the same database.
    settings = capture_settings(
        isolated, rig.emulator, rig.emulator.tls, public_base_url="", secret_keys=SecretStr(new_key())
    )
    async with running_capture(settings) as wrong_key:
        mailboxes = [ref for ref, _ in wrong_key.engine.statuses()]
        assert mailboxes, "the earlier tests left mailboxes to run"

        async def all_rejected() -> bool:
            states = [s for _, s in wrong_key.engine.statuses()]
            return all(s.state.value == "error" and "key" in s.last_error for s in states)

        await eventually(all_rejected, timeout_sec=15)
        message = next(iter(wrong_key.engine.statuses()))[1].last_error
        assert message.startswith("rejected: a stored secret was sealed with a key that is not configured")
