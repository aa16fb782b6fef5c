"""Service accounts, domain-wide delegation and the OAuth token endpoint's JWT-bearer grant."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from services.sandbox.emulators.google.errors import ApiError, OAuthError, invalid_credentials

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Google refuses assertions whose lifetime exceeds an hour (google-auth signs exactly 3600 s).
_MAX_ASSERTION_LIFETIME_SEC = 3600
_CLOCK_SKEW_SEC = 300
# Wording observed from Google (googleapis issue trackers); see docs/capture-google.md.
_UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, "
    "or client not authorized for any of the scopes requested."
)


@dataclass
class ServiceAccount:
    """One service account of the emulated Cloud project, with its RSA key pairs."""

    client_email: str
    client_id: str
    project_id: str
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)

    def add_key(self) -> str:
        key_id = secrets.token_hex(20)
        self.keys[key_id] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return key_id

    def key_file(self, token_uri: str, key_id: str | None = None) -> dict[str, str]:
        """The JSON key file Google hands out, with `token_uri` pointing wherever the caller says."""
        kid = key_id or next(iter(self.keys))
        pem = (
            self.keys[kid]
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": kid,
            "private_key": pem,
            "client_email": self.client_email,
            "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
        }


@dataclass(frozen=True)
class AccessGrant:
    """What an access token stands for."""

    token: str
    client_id: str
    subject: str | None
    scopes: frozenset[str]
    expires_at: float


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class Directory:
    """The Workspace domain's users, the project's service accounts and who may impersonate whom.

    Delegation is granted per service-account client id and scope set (as in the Admin console) and
    can be revoked per user, so one mailbox can fail while the others keep working. Revoking also
    invalidates access tokens already issued for that user, so the next API call is refused and the
    client's refresh meets `unauthorized_client`.
    """

    def __init__(self, domain: str, *, clock: Callable[[], float] = time.time) -> None:
        self.domain = domain.lower()
        self.users: dict[str, str] = {}  # address -> display name
        self.service_accounts: dict[str, ServiceAccount] = {}  # by client_email
        self.delegated_scopes: dict[str, frozenset[str]] = {}  # by client_id
        self.revoked_users: set[str] = set()
        self.token_lifetime_sec = 3599
        self._tokens: dict[str, AccessGrant] = {}
        self._clock = clock

    def add_user(self, address: str, display_name: str) -> None:
        self.users[address.lower()] = display_name

    def add_service_account(self, name: str, project_id: str, client_id: str) -> ServiceAccount:
        account = ServiceAccount(
            client_email=f"{name}@{project_id}.iam.gserviceaccount.com",
            client_id=client_id,
            project_id=project_id,
        )
        account.add_key()
        self.service_accounts[account.client_email] = account
        return account

    def grant_delegation(self, client_id: str, scopes: Iterable[str]) -> None:
        self.delegated_scopes[client_id] = frozenset(scopes)

    def set_user_delegation(self, address: str, *, granted: bool) -> None:
        address = address.lower()
        if granted:
            self.revoked_users.discard(address)
            return
        self.revoked_users.add(address)
        for token, grant in list(self._tokens.items()):
            if grant.subject == address:
                del self._tokens[token]

    def exchange_assertion(self, grant_type: str | None, assertion: str | None) -> AccessGrant:
        """The JWT-bearer grant. `aud` is deliberately not checked: google-auth always sends Google's."""
        if grant_type != JWT_BEARER_GRANT:
            raise OAuthError(400, "unsupported_grant_type", "Invalid grant_type: " + str(grant_type))
        if not assertion:
            raise OAuthError(400, "invalid_request", "Missing required parameter: assertion")
        header, claims, signing_input, signature = self._decode(assertion)
        account = self.service_accounts.get(str(claims.get("iss", "")))
        if account is None:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        self._verify_signature(account, header, signing_input, signature)
        self._check_lifetime(claims)
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        subject = claims.get("sub")
        if subject is not None:
            subject = str(subject).lower()
            if subject not in self.users:
                raise OAuthError(400, "invalid_grant", "Invalid email or User ID")
            allowed = self.delegated_scopes.get(account.client_id, frozenset())
            if subject in self.revoked_users or not scopes <= allowed:
                raise OAuthError(401, "unauthorized_client", _UNAUTHORIZED_CLIENT)
        grant = AccessGrant(
            token="ya29.emu-" + secrets.token_urlsafe(32),
            client_id=account.client_id,
            subject=subject,
            scopes=scopes,
            expires_at=self._clock() + self.token_lifetime_sec,
        )
        self._tokens[grant.token] = grant
        return grant

    def authenticate(self, authorization: str | None) -> AccessGrant:
        """The grant behind an `Authorization: Bearer` header, or the documented 401."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise invalid_credentials()
        grant = self._tokens.get(authorization[7:].strip())
        if grant is None or grant.expires_at <= self._clock():
            raise invalid_credentials()
        if grant.subject is None:
            # A service account without a subject has no mailbox of its own.
            raise ApiError(400, "failedPrecondition", "Precondition check failed.")
        return grant

    def expire_tokens(self) -> None:
        """Forget every access token, as if they had all expired (clients must refresh)."""
        self._tokens.clear()

    @staticmethod
    def _decode(assertion: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
        try:
            head_b64, claims_b64, sig_b64 = assertion.split(".")
            header = json.loads(_b64url_decode(head_b64))
            claims = json.loads(_b64url_decode(claims_b64))
            signature = _b64url_decode(sig_b64)
        except (ValueError, binascii.Error) as exc:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: malformed assertion") from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise OAuthError(400, "invalid_grant", "Invalid JWT: malformed assertion")
        return header, claims, f"{head_b64}.{claims_b64}".encode(), signature

    @staticmethod
    def _verify_signature(
        account: ServiceAccount, header: dict[str, Any], signing_input: bytes, signature: bytes
    ) -> None:
        if header.get("alg") != "RS256":
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        kid = header.get("kid")
        candidates = [account.keys[kid]] if kid in account.keys else list(account.keys.values())
        for key in candidates:
            try:
                key.public_key().verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                continue
            return
        raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        now = self._clock()
        try:
            issued, expires = float(claims["iat"]), float(claims["exp"])
        except (KeyError, TypeError, ValueError) as exc:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: missing iat or exp") from exc
        if (
            expires <= now - _CLOCK_SKEW_SEC
            or issued > now + _CLOCK_SKEW_SEC
            or expires - issued > _MAX_ASSERTION_LIFETIME_SEC
        ):
            raise OAuthError(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                "timeframe. Check your iat and exp values in the JWT claim.",
            )
