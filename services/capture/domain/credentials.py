"""The credential documents a connection's secret is stored as, checked before they are sealed.

Each builder returns the document `SecretSealer.seal` encrypts and the provider connectors read back
(`ConnectionInfo.credential`), or raises `Invalid` saying which field is wrong. Pure: the keys and
certificates are parsed, never used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from services.capture.domain import validation as check
from services.capture.domain.validation import Invalid

MAX_CLIENT_SECRET_CHARS = 1024


@dataclass(frozen=True)
class ClientSecret:
    """An Entra app registration's client secret."""

    value: str = field(repr=False)


@dataclass(frozen=True)
class Certificate:
    """An Entra app registration's certificate: the private key signs client assertions."""

    private_key_pem: str = field(repr=False)
    thumbprint: str
    public_certificate_pem: str = ""


MicrosoftCredential = ClientSecret | Certificate


def microsoft_credential(credential: MicrosoftCredential | None) -> dict[str, str]:
    """The document for a Microsoft 365 connection; None (no credential given) is `Invalid`."""
    if isinstance(credential, ClientSecret):
        if not credential.value.strip() or len(credential.value) > MAX_CLIENT_SECRET_CHARS:
            raise Invalid(f"client_secret must be 1 to {MAX_CLIENT_SECRET_CHARS} characters")
        return {"kind": "secret", "client_secret": credential.value}
    if isinstance(credential, Certificate):
        rsa_private_key(credential.private_key_pem, "certificate.private_key_pem")
        document = {
            "kind": "certificate",
            "private_key_pem": credential.private_key_pem,
            "thumbprint": check.thumbprint(credential.thumbprint),
        }
        if credential.public_certificate_pem:
            try:
                x509.load_pem_x509_certificate(credential.public_certificate_pem.encode())
            except ValueError as exc:
                raise Invalid("certificate.public_certificate_pem is not a PEM certificate") from exc
            document["public_certificate_pem"] = credential.public_certificate_pem
        return document
    raise Invalid("a credential is required: client_secret or certificate")


@dataclass(frozen=True)
class ServiceAccount:
    """A checked Google service-account key: the document to seal and the account's address."""

    document: dict[str, str] = field(repr=False)
    client_email: str


def google_service_account(key_json: str) -> ServiceAccount:
    """The document for a Google Workspace connection, from the key file's JSON text."""
    key = check.service_account_key(key_json)
    rsa_private_key(key["private_key"], "service_account_key_json.private_key")
    return ServiceAccount(
        document={"kind": "service_account", "key_json": key_json},
        client_email=key["client_email"].lower(),
    )


def rsa_private_key(pem: str, field_name: str) -> None:
    """`pem` must be an unencrypted RSA private key: Entra client assertions and Google
    service-account JWTs are RS256."""
    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise Invalid(f"{field_name} is not an unencrypted PEM private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise Invalid(f"{field_name} must be an RSA private key")
