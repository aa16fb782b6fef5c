"""`groundtruth` end to end: bootstrap a tenant (`python -m services.gateway admin`), manage keys,
register a Microsoft 365 connection and mailboxes against the emulator, backfill with progress, sync
status, reports equal to the API's, erasure, and every failure as one line with a non-zero exit.
Tests run in order on one platform."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from plumbing.embedded.process import free_port
from services.gateway.__main__ import main as gateway_main
from tests.conftest import eventually
from tests.integration.capture.harness import CLIENT_ID, CLIENT_SECRET, DOMAIN
from tests.integration.cli.support import Cli, CliPlatform, Result, google_key, running_cli_platform
from tests.integration.conftest import Isolated
from tests.integration.platform import TEST_API_KEY_PEPPER

pytestmark = pytest.mark.integration
MAILBOXES = [f"rep{i:04d}@{DOMAIN}" for i in (1, 2, 3)]
REPS = [f"rep-{m.split('@')[0]}" for m in MAILBOXES]


@pytest.fixture(scope="module")
async def platform(
    isolated: Isolated, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[CliPlatform]:
    async with running_cli_platform(isolated, Path(tmp_path_factory.mktemp("cli-tls"))) as running:
        yield running


@pytest.fixture(scope="module")
def cli(platform: CliPlatform) -> Cli:
    return Cli(platform.url)


async def test_bootstrap_then_manage_keys_over_the_api(
    platform: CliPlatform, cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", platform.isolated.database_url)
    monkeypatch.setenv("GT_GATEWAY_API_KEY_PEPPER", TEST_API_KEY_PEPPER)
    # The operator's bootstrap on the gateway's host; everything after it goes through the API.
    created = await asyncio.to_thread(gateway_main, ["admin", "create-tenant", "acme", "--name", "Acme"])
    assert created == 0
    cli.key = capsys.readouterr().out.split("store it now): ", 1)[1].strip()

    manager = await cli("keys", "create", "--role", "manager", "--rep-id", "mgr-1", "--name", "Mia's laptop")
    assert manager.code == 0, manager
    key_id = manager.out.split()[2]
    manager_key = manager.out.split("store it now): ", 1)[1].strip()
    assert manager_key.startswith(f"gt_{key_id}_")
    listed = await cli("keys", "list")
    assert (
        listed.code == 0 and key_id in listed.out and "Mia's laptop" in listed.out and "active" in listed.out
    )
    assert manager_key not in listed.out
    as_json = json.loads((await cli("keys", "list", "--json")).out)
    assert {k["key_id"] for k in as_json["keys"]} == {
        k["key_id"] for k in (await cli.api("/admin/api-keys"))["keys"]
    }

    forbidden = await cli("connections", "list", key=manager_key)
    assert forbidden.code == 1 and forbidden.out == ""
    assert forbidden.err.startswith("error: this key's role may not do that (403)"), forbidden
    invalid = await cli("keys", "create", "--role", "rep", "--name", "no rep")
    assert invalid.code == 1 and "rep_id: Field required" in invalid.err and "Traceback" not in invalid.err
    revoked = await cli("keys", "revoke", key_id)
    assert revoked.code == 0 and f"key {key_id} revoked" in revoked.out

    gone = await cli("scores", key=manager_key)
    assert gone.code == 1 and "refused the API key (401)" in gone.err, gone
    bad = await cli("scores", key="gt_not_a_key")
    assert bad.code == 1 and bad.err.count("\n") == 1 and "(401)" in bad.err, bad
    missing = await cli("scores", key="")
    assert missing.code == 1 and "no API key" in missing.err


async def test_connection_and_mailboxes_then_backfill_to_completion(
    platform: CliPlatform, cli: Cli, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(CLIENT_SECRET + "\n")
    wrong = await cli(
        "connections", "add-microsoft", "--directory-tenant-id", "not a tenant!", "--client-id", CLIENT_ID,
        "--client-secret-file", str(secret),
    )  # fmt: skip
    assert wrong.code == 1 and "directory_tenant_id" in wrong.err and wrong.err.count("\n") == 1, wrong
    added = await cli(
        "connections", "add-microsoft", "--id", "m365", "--directory-tenant-id", platform.directory,
        "--client-id", CLIENT_ID, "--client-secret-file", str(secret),
    )  # fmt: skip
    assert added.code == 0 and "microsoft connection m365 registered" in added.out, added
    listed = await cli("connections", "list")
    assert "m365" in listed.out and CLIENT_ID in listed.out and CLIENT_SECRET not in listed.out

    key_file = tmp_path / "sa.json"
    key_file.write_text(google_key())
    google = await cli(
        "connections", "add-google", "--id", "gws", "--key-file", str(key_file), "--domain", "acme.example"
    )
    assert google.code == 0 and "google connection gws registered (acme.example)" in google.out, google
    not_a_key = tmp_path / "user.json"
    not_a_key.write_text('{"type": "authorized_user"}')
    refused = await cli("connections", "add-google", "--key-file", str(not_a_key), "--domain", "acme.example")
    assert refused.code == 1 and "not a service-account key" in refused.err
    google_row = next(line for line in (await cli("connections", "list")).out.splitlines() if "gws" in line)
    assert "capture@acme-capture.iam.gserviceaccount.com" in google_row and "PRIVATE" not in google_row

    csv = tmp_path / "mailboxes.csv"
    csv.write_text(
        "address,rep_id\n" + "".join(f"{m},{r}\n" for m, r in zip(MAILBOXES[:2], REPS, strict=False))
    )
    imported = await cli("mailboxes", "import", "--connection", "m365", str(csv))
    assert imported.code == 0 and "2 mailbox(es) assigned" in imported.out, imported
    single = await cli("mailboxes", "add", "--connection", "m365", MAILBOXES[2], REPS[2])
    assert single.code == 0, single
    unknown_connection = await cli("mailboxes", "add", "--connection", "nope", "x@y.example", "rep-x")
    assert unknown_connection.code == 1 and "(404)" in unknown_connection.err

    async def all_idle() -> bool:
        statuses = (await cli.api("/admin/sync-status"))["mailboxes"]
        return len(statuses) == 3 and all(s["state"] == "idle" for s in statuses)

    await eventually(all_idle, timeout_sec=30)  # the first backfill, which registration starts
    platform.emulator.add_message(MAILBOXES[0], sender="buyer@northwind.example", to=[MAILBOXES[0]])
    backfill = await cli("backfill", "--connection", "m365", "--interval", "0.2", "--timeout", "60")
    assert backfill.code == 0, backfill
    assert "full resync triggered for 3 mailbox(es)" in backfill.err
    assert "3/3 mailboxes done" in backfill.err.splitlines()[-1]
    assert "backfill complete: 3 of 3 mailbox(es) backfilled" in backfill.out
    assert "(1 new)" in backfill.out  # the message that arrived since; the resync repeats nothing else
    for mailbox in MAILBOXES:
        assert mailbox in backfill.out

    api_statuses = {s["mailbox"]: s for s in (await cli.api("/admin/sync-status"))["mailboxes"]}
    cli_statuses = {
        s["mailbox"]: s for s in json.loads((await cli("sync", "status", "--json")).out)["mailboxes"]
    }
    assert set(cli_statuses) == set(api_statuses) == set(MAILBOXES)
    for mailbox, status in cli_statuses.items():
        assert status["state"] == api_statuses[mailbox]["state"] == "idle"
        assert status["items_captured"] == api_statuses[mailbox]["items_captured"] > 0
    table = await cli("sync", "status", "--connection", "m365")
    assert table.code == 0 and "3 mailboxes: 3 idle" in table.out
    for mailbox, status in api_statuses.items():
        row = next(line for line in table.out.splitlines() if mailbox in line)
        assert "idle" in row and f" {status['items_captured']:,} " in row
    watched = await cli("sync", "status", "--watch", "--interval", "0.1", "--count", "2")
    assert watched.code == 0 and "Sync status at" in watched.out


async def test_backfill_of_a_broken_mailbox_exits_non_zero(platform: CliPlatform, cli: Cli) -> None:
    ghost = f"ghost@{DOMAIN}"  # not in the directory: Graph answers 404 ErrorInvalidUser
    assert (await cli("mailboxes", "add", "--connection", "m365", ghost, "rep-ghost")).code == 0
    result = await cli("backfill", "--mailbox", ghost, "--interval", "0.2", "--timeout", "30", "--json")
    assert result.code == 3, result
    summary = json.loads(result.out)
    assert summary["ok"] is False and "1 in error" in summary["summary"]
    assert (
        summary["mailboxes"][0]["outcome"] == "failed"
        and "ErrorInvalidUser" in summary["mailboxes"][0]["last_error"]
    )
    check = await cli("sync", "status", "--fail-on-error")
    assert check.code == 3 and check.err == f"error: 1 mailbox(es) in error or stale: {ghost}\n", check
    assert "ErrorInvalidUser" in check.out and "1 error" in check.out
    removed = await cli("mailboxes", "remove", ghost)
    assert removed.code == 0
    again = await cli("mailboxes", "remove", ghost)
    assert again.code == 1 and "not found (404)" in again.err


async def test_a_stale_mailbox_fails_the_status_check_and_heals(platform: CliPlatform, cli: Cli) -> None:
    stuck = f"stuck@{DOMAIN}"
    platform.emulator.add_mailbox(platform.directory, stuck)
    platform.emulator.empty_pages(stuck, count=1_000_000)  # busy importing nothing, for ever
    try:
        assert (await cli("mailboxes", "add", "--connection", "m365", stuck, "rep-stuck")).code == 0
        checks: list[Result] = []

        async def reads_stale() -> bool:
            checks[:] = [await cli("sync", "status", "--fail-on-error")]
            return checks[0].code == 3

        await eventually(reads_stale, timeout_sec=30)
        assert checks[0].err == f"error: 1 mailbox(es) in error or stale: {stuck}\n", checks[0]
        assert "1 stale" in checks[0].out and "empty pages in a row" in checks[0].out
    finally:
        platform.emulator.empty_pages(stuck, reset=True)

    # A cut chain is retried with backoff (at most a second here): it heals without an admin.
    async def healthy() -> bool:
        return (await cli("sync", "status", "--fail-on-error")).code == 0

    await eventually(healthy, timeout_sec=30)
    assert (await cli("mailboxes", "remove", stuck)).code == 0


async def test_a_certificate_connection_works_with_the_thumbprint_the_cli_works_out(
    platform: CliPlatform, cli: Cli, tmp_path: Path
) -> None:
    issued = trustme.CA().issue_cert("capture.contoso.example", key_type=trustme.KeyType.RSA)
    certificate_pem = issued.cert_chain_pems[0].bytes().decode()
    platform.emulator.add_app(platform.directory, "cert-app", certificate_pem=certificate_pem)
    bundle = tmp_path / "app.pem"
    bundle.write_text(issued.private_key_pem.bytes().decode() + certificate_pem)
    added = await cli(
        "connections", "add-microsoft", "--id", "m365-cert", "--directory-tenant-id", platform.directory,
        "--client-id", "cert-app", "--certificate-file", str(bundle),
    )  # fmt: skip
    assert added.code == 0, added
    mailbox = f"cert.rep@{DOMAIN}"
    platform.emulator.add_mailbox(platform.directory, mailbox)
    platform.emulator.add_message(mailbox, sender="buyer@northwind.example", to=[mailbox])
    assert (await cli("mailboxes", "add", "--connection", "m365-cert", mailbox, "rep-cert")).code == 0
    backfill = await cli("backfill", "--connection", "m365-cert", "--interval", "0.2", "--timeout", "30")
    assert backfill.code == 0 and "backfill complete: 1 of 1" in backfill.out, backfill
    assert "1 items captured" in backfill.out  # msal signed in with the certificate


def table_shows(out: str, scores: list[dict[str, Any]]) -> bool:
    """The table has a row per rep with the API's scores (one decimal) and class."""
    if f"Rep scores of the tenant ({len(scores)} reps)" not in out:
        return False
    for score in scores:
        rows = [line for line in out.splitlines() if line.lstrip("│ ").startswith(score["rep_id"] + " ")]
        wanted = (
            f" {score['adoption_score']:.1f} ",
            # no data-quality score (the rep keeps no records) is a dash, never 0.0
            " - " if score["data_quality_score"] is None else f" {score['data_quality_score']:.1f} ",
            score["classification"].replace("_", " "),
        )
        if len(rows) != 1 or not all(w in rows[0] for w in wanted):
            return False
    return True


async def test_reports_show_the_apis_numbers(cli: Cli) -> None:
    # Scoring keeps rescoring as activity lands, so compare answers read back to back until they agree
    # (a CLI that showed other numbers never would).
    async def same_scores() -> bool:
        api = (await cli.api("/scores?page_size=500"))["scores"]
        as_json = json.loads((await cli("scores", "--json")).out)["scores"]
        table = await cli("scores")
        return (
            {s["rep_id"] for s in api} >= {*REPS, "rep-cert"}
            and as_json == api
            and table.code == 0
            and table_shows(table.out, api)
        )

    await eventually(same_scores, timeout_sec=30)

    detail = await cli("score", REPS[0])
    one = await cli.api(f"/reps/{REPS[0]}/score")
    assert detail.code == 0 and "Adoption inputs" in detail.out
    for item in one["adoption_inputs"]:
        assert item["name"].replace("_", " ") in detail.out

    for command, path in (
        ("health", "/team-health"),
        ("diagnostics", "/diagnostics"),
        ("readiness", "/readiness"),
    ):

        async def same(command: str = command, path: str = path) -> bool:
            answer = await cli(command, "--json")
            assert answer.code == 0, answer
            return bool(json.loads(answer.out) == await cli.api(path))

        await eventually(same, timeout_sec=15)
        assert (await cli(command)).code == 0
    health = await cli("health")
    for metric in (await cli.api("/team-health"))["metrics"]:
        assert metric["name"].replace("_", " ") in health.out
    opportunities = await cli("opportunities", "--review-ready")
    assert opportunities.code == 0 and "Review-ready opportunities (0)" in opportunities.out
    not_found = await cli("score", "rep-nobody")
    assert not_found.code == 1 and "(404)" in not_found.err, not_found


async def test_erase_asks_first_then_erases_everywhere(cli: Cli) -> None:
    rep = REPS[0]
    declined = await cli("erase", rep, stdin="n\n")
    assert declined.code == 1 and "not confirmed; nothing erased" in declined.err
    assert rep in {s["rep_id"] for s in (await cli.api("/scores"))["scores"]}
    erased = await cli("erase", rep, stdin="yes\n")
    assert erased.code == 0, erased
    assert f"rep {rep} erased" in erased.out and "capture: 1 mailbox(es) removed" in erased.out
    assert rep not in {s["rep_id"] for s in (await cli.api("/scores"))["scores"]}
    assert MAILBOXES[0] not in {s["mailbox"] for s in (await cli.api("/admin/sync-status"))["mailboxes"]}
    repeated = await cli("erase", rep, "--yes")
    assert repeated.code == 0 and "capture: 0 mailbox(es) removed" in repeated.out


async def test_an_unreachable_gateway_is_one_line_and_exit_1(cli: Cli) -> None:
    down = await cli("sync", "status", url=f"http://127.0.0.1:{free_port()}")
    assert down.code == 1 and down.out == ""
    assert down.err.startswith("error: cannot reach the gateway at http://127.0.0.1:")
    assert "connection refused" in down.err and down.err.count("\n") == 1
