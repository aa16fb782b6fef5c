"""Admin: tenant configuration (validated, versioned, published), API keys, secrets, erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import httpx
import pytest
from pydantic import SecretStr

from groundtruth.gateway.v1 import gateway_pb2 as g
from groundtruth.gateway.v1 import gateway_pb2_grpc
from plumbing.sealed_secrets import SecretSeal
from services.gateway.adapters import key_store
from services.gateway.admin import keys
from services.gateway.domain.principal import Role
from tests.integration.gateway.conftest import GatewayUnderTest
from tests.integration.gateway.fakes import marker
from tests.integration.gateway.kafka import crm_events
from tests.integration.gateway.matrix import CONFIG
from tests.integration.platform import TEST_WEBHOOK_SECRET_KEYS

pytestmark = pytest.mark.integration
TENANT = "globex"


async def test_configuration_is_validated_versioned_published_and_scopes_managers(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    admin = env.headers(TENANT, Role.ADMIN)
    manager = env.headers(TENANT, Role.MANAGER)  # mgr-1
    invalid = {
        **CONFIG,
        "internal_domains": ["not a domain"],
        "teams": [
            {"team_id": "a", "manager_rep_id": "mgr-1", "member_rep_ids": ["rep-1"]},
            {"team_id": "b", "manager_rep_id": "mgr-2", "member_rep_ids": ["rep-1"]},
        ],
    }
    async with httpx.AsyncClient(base_url=env.url) as client:
        current = (await client.get("/v1/admin/config", headers=admin)).json()
        # A shape the schema states (a domain) is a 422 naming the field; a rule across items that
        # no schema can state (a rep in two teams) is a 400 naming the rule. Neither is stored.
        not_a_domain = await client.put("/v1/admin/config", json=invalid, headers=admin)
        assert not_a_domain.status_code == 422
        assert "internal_domains" in not_a_domain.json()["detail"]
        refused = await client.put(
            "/v1/admin/config", json={**invalid, "internal_domains": []}, headers=admin
        )
        assert refused.status_code == 400
        assert "member of both" in refused.json()["detail"]

        assert (
            await client.get("/v1/scores", params={"team_id": "team-west"}, headers=manager)
        ).status_code == 403
        moved = {
            **CONFIG,
            "teams": [{"team_id": "team-west", "manager_rep_id": "mgr-1", "member_rep_ids": ["rep-9"]}],
            "expected_version": current["version"],
        }
        updated = await client.put("/v1/admin/config", json=moved, headers=admin)
        assert updated.status_code == 200, updated.text
        stored = updated.json()
        assert stored["version"] > current["version"] and stored["window_days"] == 28
        stale = await client.put("/v1/admin/config", json=moved, headers=admin)  # same expected_version
        assert stale.status_code == 409
        # The manager's scope follows the new teams at once (this replica invalidated its cache).
        assert (
            await client.get("/v1/scores", params={"team_id": "team-west"}, headers=manager)
        ).status_code == 200
        assert (
            await client.get("/v1/scores", params={"team_id": "team-east"}, headers=manager)
        ).status_code == 403
        await client.put("/v1/admin/config", json=CONFIG, headers=admin)  # restore for the other tests

    published = [
        (key, e)
        for key, e in await crm_events(env.isolated.bootstrap_servers, env.isolated.topics.crm_events)
        if e.WhichOneof("payload") == "tenant_config_updated" and e.tenant_id == TENANT
    ]
    versions = [e.tenant_config_updated.config.version for _, e in published]
    assert stored["version"] in versions
    assert {key for key, _ in published} == {f"{TENANT}:".encode()}
    assert versions == sorted(versions)


async def test_api_keys_are_shown_once_work_at_once_and_the_last_admin_stays(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    admin = env.headers(TENANT, Role.ADMIN)
    async with httpx.AsyncClient(base_url=env.url) as client:
        created = await client.post(
            "/v1/admin/api-keys",
            json={"name": "ann's phone", "role": "rep", "rep_id": "rep-2"},
            headers=admin,
        )
        assert created.status_code == 201
        secret = created.json()["secret"]
        assert secret.startswith(created.json()["key"]["prefix"])
        me = await client.get("/v1/me/score", headers={"Authorization": f"Bearer {secret}"})
        assert me.status_code == 200 and me.json()["rep_id"] == "rep-2"
        listed = await client.get("/v1/admin/api-keys", headers=admin)
        assert secret not in listed.text
        assert created.json()["key"]["key_id"] in listed.text
        no_rep = await client.post("/v1/admin/api-keys", json={"name": "m", "role": "manager"}, headers=admin)
        assert no_rep.status_code == 422 and "rep_id" in no_rep.json()["detail"]
        admin_with_rep = await client.post(
            "/v1/admin/api-keys", json={"name": "a", "role": "admin", "rep_id": "rep-1"}, headers=admin
        )
        assert admin_with_rep.status_code == 422

    gw = env.running.gateway
    await keys.create_tenant(gw.pool, pepper=gw.pepper, tenant_id="solo", name="Solo")
    solo = list(await key_store.list_keys(gw.pool, "solo"))
    assert len(solo) == 1
    solo_key = await keys.issue_key(
        gw.pool,
        pepper=gw.pepper,
        tenant_id="solo",
        name="second",
        role=Role.ADMIN,
        rep_id=None,
        created_by="test",
    )
    async with httpx.AsyncClient(base_url=env.url) as client:
        headers = {"Authorization": f"Bearer {solo_key.plaintext}"}
        first = await client.delete(f"/v1/admin/api-keys/{solo[0].key_id}", headers=headers)
        last = await client.delete(f"/v1/admin/api-keys/{solo_key.record.key_id}", headers=headers)
    assert first.status_code == 200
    assert last.status_code == 409 and "last active admin key" in last.json()["detail"]


async def test_provider_secrets_go_to_capture_and_never_come_back(gateway_env: GatewayUnderTest) -> None:
    env = gateway_env
    admin = env.headers(TENANT, Role.ADMIN)
    secret = "client-secret-that-must-not-echo"
    async with httpx.AsyncClient(base_url=env.url) as client:
        registered = await client.post(
            "/v1/admin/connections/microsoft",
            json={
                "directory_tenant_id": "contoso.onmicrosoft.com",
                "client_id": "app",
                "client_secret": secret,
            },
            headers=admin,
        )
        listed = await client.get("/v1/admin/connections", headers=admin)
        neither = await client.post(
            "/v1/admin/connections/microsoft",
            json={"directory_tenant_id": "contoso.example", "client_id": "app"},
            headers=admin,
        )
        bad_google = await client.post(
            "/v1/admin/connections/google",
            json={"service_account_key": {"type": "authorized_user"}, "workspace_domain": "globex.example"},
            headers=admin,
        )
    assert registered.status_code == 201 and registered.json()["has_credentials"]
    assert secret not in registered.text and secret not in listed.text
    assert secret in env.upstreams.capture.secrets_received
    assert neither.status_code == 422 and "client_secret, certificate" in neither.json()["detail"]
    assert bad_google.status_code == 422 and "service_account_key" in bad_google.json()["detail"]


async def test_erasure_goes_through_capture_and_scoring_and_revokes_the_reps_keys(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    gw = env.running.gateway
    rep_key = await keys.issue_key(
        gw.pool,
        pepper=gw.pepper,
        tenant_id=TENANT,
        name="leaver",
        role=Role.REP,
        rep_id="leaver-1",
        created_by="test",
    )
    calls_before = len(env.upstreams.recorder.calls)
    async with httpx.AsyncClient(base_url=env.url) as client:
        erased = await client.post("/v1/admin/reps/leaver-1/erasure", headers=env.headers(TENANT, Role.ADMIN))
        after = await client.get("/v1/me/score", headers={"Authorization": f"Bearer {rep_key.plaintext}"})
    assert erased.status_code == 200
    body = erased.json()
    assert body["revoked_key_ids"] == [rep_key.record.key_id]
    assert body["capture"]["mailboxes_removed"] == 1 and body["scoring"]["activities_deleted"] == 2
    assert env.upstreams.recorder.calls[calls_before:] == [
        ("CaptureAdmin.EraseRep", TENANT),
        ("ScoringAdmin.EraseRep", TENANT),
    ]
    assert after.status_code == 401


async def test_people_with_role_and_start_date_are_stored_and_published(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    admin = env.headers(TENANT, Role.ADMIN)
    people = [
        {"rep_id": "rep-1", "display_name": "Kemi Walsh", "email": "Kemi.Walsh@Acme.example", "role": "sdr",
         "start_date": "2026-10-01"},
        {"rep_id": "mgr-1", "display_name": "Quinn Farah", "role": "manager"},
    ]  # fmt: skip
    async with httpx.AsyncClient(base_url=env.url) as client:
        refused = await client.put(
            "/v1/admin/config",
            json={**CONFIG, "people": [{"rep_id": "rep-1", "role": "Sales Rep"}]},
            headers=admin,
        )
        assert refused.status_code == 422, refused.text
        for bad_date in ("2026-02-30", "01/10/2026", "2026-10-01T00:00:00"):
            no_date = await client.put(
                "/v1/admin/config",
                json={**CONFIG, "people": [{"rep_id": "rep-1", "start_date": bad_date}]},
                headers=admin,
            )
            assert no_date.status_code == 422 and "start_date" in no_date.text, (bad_date, no_date.text)
        updated = await client.put("/v1/admin/config", json={**CONFIG, "people": people}, headers=admin)
        assert updated.status_code == 200, updated.text
        stored = updated.json()
        await client.put("/v1/admin/config", json=CONFIG, headers=admin)  # restore for the other tests
    assert stored["people"][0] == {
        "rep_id": "rep-1", "display_name": "Kemi Walsh", "email": "kemi.walsh@acme.example", "role": "sdr",
        "start_date": "2026-10-01",
    }  # fmt: skip
    published = [
        e.tenant_config_updated.config
        for _, e in await crm_events(env.isolated.bootstrap_servers, env.isolated.topics.crm_events)
        if e.WhichOneof("payload") == "tenant_config_updated" and e.tenant_config_updated.config.people
    ]
    assert [(p.rep_id, p.role, p.start_date) for p in published[-1].people] == [
        ("rep-1", "sdr", "2026-10-01"), ("mgr-1", "manager", ""),
    ]  # fmt: skip


async def test_role_profiles_are_validated_at_the_edge_and_published(gateway_env: GatewayUnderTest) -> None:
    env = gateway_env
    admin = env.headers(TENANT, Role.ADMIN)
    sdr = {
        "role": "sdr",
        "score_weights": {"manual_logging_rate": 5},
        "thresholds": {"target_write_days_per_week": 5},
    }
    async with httpx.AsyncClient(base_url=env.url) as client:
        # Shapes the schema states are 422 naming the field: an unknown setting, a negative weight.
        for bad in (
            {"role": "sdr", "score_weights": {"meetings_booked": 1}},
            {"role": "sdr", "score_weights": {"manual_logging_rate": -1}},
            {"role": "Sales Rep"},
        ):
            refused = await client.put(
                "/v1/admin/config", json={**CONFIG, "role_profiles": [bad]}, headers=admin
            )
            assert refused.status_code == 422, refused.text
            assert "role_profiles" in refused.text
        # Rules no schema states are 400 naming the rule: a role listed twice, a profile for managers.
        for bad_list, why in (([sdr, sdr], "appears twice"), ([{"role": "manager"}], "managers are judged")):
            refused = await client.put(
                "/v1/admin/config", json={**CONFIG, "role_profiles": bad_list}, headers=admin
            )
            assert refused.status_code == 400, refused.text
            assert why in refused.json()["detail"]
        updated = await client.put("/v1/admin/config", json={**CONFIG, "role_profiles": [sdr]}, headers=admin)
        assert updated.status_code == 200, updated.text
        bad_filter = await client.get("/v1/scores", params={"role": "Not A Role"}, headers=admin)
        await client.put("/v1/admin/config", json=CONFIG, headers=admin)  # restore for the other tests
    assert updated.json()["role_profiles"] == [sdr]
    assert bad_filter.status_code == 422 and "role" in bad_filter.text
    published = [
        e.tenant_config_updated.config
        for _, e in await crm_events(env.isolated.bootstrap_servers, env.isolated.topics.crm_events)
        if e.WhichOneof("payload") == "tenant_config_updated" and e.tenant_config_updated.config.role_profiles
    ]
    profile = published[-1].role_profiles[0]
    assert (profile.role, dict(profile.score_weights)) == ("sdr", {"manual_logging_rate": 5.0})


async def test_webhooks_are_validated_their_secret_never_shown_and_kept_when_sent_back(
    gateway_env: GatewayUnderTest,
) -> None:
    env = gateway_env
    admin = env.headers(TENANT, Role.ADMIN)
    hook = {
        "url": "https://hooks.slack.example/services/T0/B0/x",
        "signing_secret": "s3cret-signing-key-0001",
    }
    async with httpx.AsyncClient(base_url=env.url) as client:
        plain_http = {"url": "http://hooks.example/x", "signing_secret": hook["signing_secret"]}
        refused = await client.put(
            "/v1/admin/config", json={**CONFIG, "notification_webhooks": [plain_http]}, headers=admin
        )
        assert refused.status_code == 422 and "notification_webhooks" in refused.text
        short = await client.put(
            "/v1/admin/config",
            json={**CONFIG, "notification_webhooks": [{**hook, "signing_secret": "short"}]},
            headers=admin,
        )
        assert short.status_code == 400 and "signing_secret" in short.json()["detail"]
        stored = await client.put(
            "/v1/admin/config", json={**CONFIG, "notification_webhooks": [hook]}, headers=admin
        )
        assert stored.status_code == 200, stored.text
        shown = (await client.get("/v1/admin/config", headers=admin)).json()
        # Sent back as read (no secret): the stored secret stays.
        again = await client.put(
            "/v1/admin/config",
            json={**CONFIG, "notification_webhooks": shown["notification_webhooks"]},
            headers=admin,
        )
        await client.put("/v1/admin/config", json=CONFIG, headers=admin)  # restore for the other tests
    assert "s3cret" not in stored.text and "s3cret" not in again.text
    assert [(h["url"], h["signing_secret"]) for h in shown["notification_webhooks"]] == [(hook["url"], "")]
    assert not shown["notification_webhooks"][0].get("sealed_signing_secret")
    assert again.status_code == 200, again.text
    published = [
        e.tenant_config_updated.config
        for _, e in await crm_events(env.isolated.bootstrap_servers, env.isolated.topics.crm_events)
        if e.WhichOneof("payload") == "tenant_config_updated"
        and e.tenant_config_updated.config.notification_webhooks
    ]
    # Sealed at rest and on the topic (never in clear); the key scoring holds opens it.
    seal = SecretSeal(SecretStr(TEST_WEBHOOK_SECRET_KEYS), setting="test")
    for config in published[-2:]:  # stored with the secret, then sent back as read: still the secret
        [sent] = config.notification_webhooks
        assert sent.signing_secret == "" and seal.open(sent.sealed_signing_secret) == hook["signing_secret"]
    conn = await asyncpg.connect(env.isolated.database_url)
    try:
        stored_configs = [r["config"] for r in await conn.fetch("SELECT config FROM gateway.tenant_configs")]
    finally:
        await conn.close()
    assert stored_configs and all(hook["signing_secret"].encode() not in c for c in stored_configs)


async def test_customization_debt_compares_the_configuration_at_go_live_with_the_current_one(
    gateway_env: GatewayUnderTest,
) -> None:
    """The configuration history is the gateway's own (PostgreSQL); completion comes from scoring's
    field friction (the fake answers the field named like the tenant's marker: 80% empty)."""
    env = gateway_env
    admin = env.headers(TENANT, Role.ADMIN)
    today = datetime.now(UTC).date()
    go_live = today - timedelta(days=3)
    costly = marker(TENANT)
    pool = env.running.gateway.pool
    async with httpx.AsyncClient(base_url=env.url) as client:
        none = await client.get("/v1/customization-debt", headers=admin)
        at_go_live = {
            **CONFIG,
            "go_live_date": go_live.isoformat(),
            "required_opportunity_fields": ["Amount"],
        }
        first = await client.put("/v1/admin/config", json=at_go_live, headers=admin)
        assert first.status_code == 200
        # This version was the one in force at go-live: it (and those before it) were stored before
        # (time passes, not in a test).
        await pool.execute(
            "UPDATE tenant_configs SET created_at = $3 WHERE tenant_id = $1 AND version <= $2",
            TENANT, first.json()["version"], datetime.combine(go_live, datetime.min.time(), tzinfo=UTC),
        )  # fmt: skip
        changed = {
            **at_go_live,
            "required_opportunity_fields": ["Budget", costly],
            "stages": ["Discovery", "Qualification", "Proposal", "Closed Won"],
            "change_reference": "deploy-0042",
        }
        second = await client.put("/v1/admin/config", json=changed, headers=admin)
        assert second.status_code == 200 and second.json()["change_reference"] == "deploy-0042"
        debt = await client.get("/v1/customization-debt", headers=admin)
        moved = {**changed, "go_live_date": (go_live - timedelta(days=30)).isoformat()}
        assert (await client.put("/v1/admin/config", json=moved, headers=admin)).status_code == 200
        before_any = await client.get("/v1/customization-debt", headers=admin)
        await client.put("/v1/admin/config", json=CONFIG, headers=admin)  # restore for the other tests
    assert none.status_code == 200 and none.json()["summary"].startswith("no go-live date")
    body = debt.json()
    assert body["go_live_version"] > 0 and body["current_version"] > body["go_live_version"]
    fields = {f["field"]: f for f in body["required_fields"]}
    assert fields["Budget"]["change"] == "added" and fields["Budget"]["empty_share"] is None
    assert (fields[costly]["empty_share"], fields[costly]["open_opportunities"]) == (0.8, 10)
    assert fields["Amount"]["change"] == "removed"
    assert body["stages_added"] == ["Qualification"] and body["stages_reordered"] is False
    assert body["summary"].startswith("2 required fields added since go-live, 1 of them left empty")
    # Each change says when and in which version (with the CRM's name for it), stage changes too.
    stored_on = (await pool.fetchval("SELECT (now() AT TIME ZONE 'UTC')::date")).isoformat()
    dated = {(f["changed_on"], f["version"], f["change_reference"]) for f in body["required_fields"]}
    assert dated == {(stored_on, second.json()["version"], "deploy-0042")}
    [stage] = body["stage_changes"]
    assert (stage["stage"], stage["change"], stage["changed_on"], stage["position"]) == (
        "Qualification", "added", stored_on, 2,
    )  # fmt: skip
    # Scoring's snapshot before the change (the fake keeps one, without completeness): unknown, not 0.
    effect = fields["Budget"]["completion"]
    assert effect["known"] is False and effect["before"] is None and effect["change_points"] is None
    assert effect["explanation"] == "unknown: completeness was not measured on 2026-11-02"
    # A go-live before any stored configuration: nothing to compare, and it says so (not "no debt").
    assert before_any.json()["summary"].startswith("no configuration was in force")
    assert before_any.json()["required_fields"] == []


async def test_customization_debt_dates_are_validated_at_the_edge(gateway_env: GatewayUnderTest) -> None:
    """A malformed or impossible `since` is refused by the schema (422), a day in the future by the
    rule (400); gRPC answers INVALID_ARGUMENT for both, before scoring is asked anything."""
    env = gateway_env
    admin = env.headers(TENANT, Role.ADMIN)
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    async with httpx.AsyncClient(base_url=env.url) as client:
        answers = {
            since: await client.get("/v1/customization-debt", params={"since": since}, headers=admin)
            for since in ("2026-13-01", "2026-02-30", "yesterday", tomorrow, "2026-01-01")
        }
    for since in ("2026-13-01", "2026-02-30", "yesterday"):
        assert answers[since].status_code == 422 and "since" in answers[since].text, answers[since].text
    assert answers[tomorrow].status_code == 400 and "future" in answers[tomorrow].text
    assert answers["2026-01-01"].status_code == 200
    assert answers["2026-01-01"].json()["since"] == "2026-01-01"
    async with grpc.aio.insecure_channel(env.grpc_target) as channel:
        stub = gateway_pb2_grpc.GroundtruthStub(channel)
        for since in ("2026-02-30", tomorrow):
            before = len(env.upstreams.recorder.calls)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.GetCustomizationDebt(
                    g.CustomizationDebtRequest(since=since),
                    metadata=env.metadata(TENANT, Role.ADMIN),
                    timeout=5,
                )
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "since" in (refused.value.details() or "")
            assert len(env.upstreams.recorder.calls) == before
