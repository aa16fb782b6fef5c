"""Sign-in with short-lived tokens: exchange a key, use the token like the key, lose it with the key."""

from __future__ import annotations

import httpx
import pytest

from services.client import GroundtruthClient
from services.gateway.admin import keys
from services.gateway.domain.principal import Role
from tests.integration.gateway.conftest import GatewayUnderTest

pytestmark = pytest.mark.integration


def _bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def _token(client: httpx.AsyncClient, key: str) -> str:
    answer = await client.post("/v1/auth/token", headers=_bearer(key))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 900
    token: str = body["access_token"]
    assert token.startswith("gtt_") and key not in token
    return token


async def test_a_token_acts_exactly_like_its_key(gateway_env: GatewayUnderTest) -> None:
    async with httpx.AsyncClient(base_url=gateway_env.url, timeout=10) as client:
        token = await _token(client, gateway_env.keys[("acme", Role.REP)])
        session = (await client.get("/v1/auth/session", headers=_bearer(token))).json()
        assert session["role"] == "rep" and session["rep_id"] == "rep-1" and session["tenant_id"] == "acme"
        assert session["via_token"] is True and session["teams"] == []
        assert (await client.get("/v1/me/score", headers=_bearer(token))).status_code == 200
        # The rep's token has the rep's limits: no team reads, no other rep.
        assert (await client.get("/v1/scores", headers=_bearer(token))).status_code == 403
        assert (await client.get("/v1/reps/rep-2/score", headers=_bearer(token))).status_code == 403


async def test_session_lists_the_teams_a_caller_may_open(gateway_env: GatewayUnderTest) -> None:
    async with httpx.AsyncClient(base_url=gateway_env.url, timeout=10) as client:
        manager = (
            await client.get("/v1/auth/session", headers=gateway_env.headers("acme", Role.MANAGER))
        ).json()
        admin = (await client.get("/v1/auth/session", headers=gateway_env.headers("acme", Role.ADMIN))).json()
    assert [t["team_id"] for t in manager["teams"]] == ["team-east"]
    assert manager["via_token"] is False and manager["rep_id"] == "mgr-1"
    assert [t["team_id"] for t in admin["teams"]] == ["team-east", "team-west"]


async def test_a_token_cannot_renew_itself(gateway_env: GatewayUnderTest) -> None:
    async with httpx.AsyncClient(base_url=gateway_env.url, timeout=10) as client:
        token = await _token(client, gateway_env.keys[("acme", Role.MANAGER)])
        again = await client.post("/v1/auth/token", headers=_bearer(token))
    assert again.status_code == 403 and "present the API key" in again.json()["detail"]


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), id="bad signature"),
        pytest.param(lambda t: t.split(".")[0], id="no signature"),
    ],
)
async def test_a_damaged_token_is_401(gateway_env: GatewayUnderTest, mangle: object) -> None:
    async with httpx.AsyncClient(base_url=gateway_env.url, timeout=10) as client:
        token = await _token(client, gateway_env.keys[("acme", Role.REP)])
        answer = await client.get("/v1/me/score", headers=_bearer(mangle(token)))  # type: ignore[operator]
    assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer")


async def test_revoking_the_key_ends_its_tokens(gateway_env: GatewayUnderTest) -> None:
    gw = gateway_env.running.gateway
    created = await keys.issue_key(
        gw.pool, pepper=gw.pepper, tenant_id="acme", name="short-lived", role=Role.REP,
        rep_id="rep-2", created_by="test",
    )  # fmt: skip
    async with httpx.AsyncClient(base_url=gateway_env.url, timeout=10) as client:
        token = await _token(client, created.plaintext)
        assert (await client.get("/v1/me/score", headers=_bearer(token))).status_code == 200
        revoked = await client.delete(
            f"/v1/admin/api-keys/{created.record.key_id}", headers=gateway_env.headers("acme", Role.ADMIN)
        )
        assert revoked.status_code == 200, revoked.text
        answer = await client.get("/v1/me/score", headers=_bearer(token))
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]


async def test_a_token_works_over_grpc_too(gateway_env: GatewayUnderTest) -> None:
    async with httpx.AsyncClient(base_url=gateway_env.url, timeout=10) as client:
        token = await _token(client, gateway_env.keys[("acme", Role.PLUGIN)])
    async with GroundtruthClient(gateway_env.grpc_target, token) as grpc_client:
        score = await grpc_client.rep_score("rep-1")
    assert score.rep_id == "rep-1"
