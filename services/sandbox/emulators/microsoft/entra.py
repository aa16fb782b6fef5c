"""Microsoft Entra ID (v2.0 endpoints): OIDC discovery and the client-credentials token endpoint.

Answers the way MSAL expects (PROVIDERS.md §5): https endpoints in the discovery document, the secret
in the form body (client_secret_post) or a signed client assertion for certificate credentials, and
`401 invalid_client` with an AADSTS code when the credential is wrong or revoked.
"""

from __future__ import annotations

import hmac
import json
import time
import uuid
from urllib.parse import parse_qs

import jwt
from cryptography import x509
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.sandbox.emulators.microsoft.model import App, Organisation
from services.sandbox.emulators.microsoft.state import ACCESS_TOKEN_LIFETIME_SEC, EmulatorState

GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _oauth_error(status: int, error: str, code: int, description: str) -> Response:
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {uuid.uuid4()}",
        "error_codes": [code],
        "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    return Response(json.dumps(body), status_code=status, media_type="application/json")


class EntraApi:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery, methods=["GET"]),
            Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
        ]

    async def discovery(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        org = self.state.org(tenant)
        if org is None:
            return _oauth_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"https://{request.headers.get('host', request.url.netloc)}/{org.tenant_id}"
        return JSONResponse(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "issuer": f"{base}/v2.0",
                "request_uri_parameter_supported": False,
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            }
        )

    async def token(self, request: Request) -> Response:
        self.state.token_requests += 1
        org = self.state.org(request.path_params["tenant"])
        if org is None:
            return _oauth_error(400, "invalid_request", 90002, "Tenant not found.")
        # Parsed by hand: starlette's form parser needs python-multipart, which nothing else needs.
        form = {
            k: v[-1] for k, v in parse_qs((await request.body()).decode(), keep_blank_values=True).items()
        }
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        client_id = str(form.get("client_id", ""))
        app = org.apps.get(client_id)
        if app is None:
            return _oauth_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found.",
            )
        if str(form.get("scope", "")) != GRAPH_DEFAULT_SCOPE:
            return _oauth_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid.")
        if app.revoked or not self._authenticated(org, app, form.get("client_secret"), form):
            return _oauth_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        token = self.state.issue_access_token(org.tenant_id, client_id)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_LIFETIME_SEC,
                "ext_expires_in": ACCESS_TOKEN_LIFETIME_SEC,
                "access_token": token,
            }
        )

    @staticmethod
    def _authenticated(org: Organisation, app: App, secret: object, form: dict[str, str]) -> bool:
        if app.secret is not None and isinstance(secret, str):
            return hmac.compare_digest(secret, app.secret)
        if app.certificate_pem is None or form.get("client_assertion_type") != _ASSERTION_TYPE:
            return False
        assertion = form.get("client_assertion")
        if not assertion:
            return False
        public_key = x509.load_pem_x509_certificate(app.certificate_pem.encode()).public_key()
        try:
            claims = jwt.decode(
                assertion,
                key=public_key,  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                options={"verify_aud": False},
            )
        except jwt.PyJWTError:
            return False
        return bool(claims.get("iss") == claims.get("sub") == app.client_id)
