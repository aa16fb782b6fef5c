"""The weekly digest is made by time, not only by Monday's rescore: with the last rescore on Sunday and
none on Monday, the schedule makes the week's digest from Sunday's team health once Monday's grace
has passed, exactly once per team and week (another replica, the next rescore and the next check add
nothing), and it reaches a real webhook receiver and a real SMTP server (aiosmtpd). The webhook's secret is
sealed in the configuration, as the gateway stores it, and opened only to sign."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2
from plumbing.db.pool import Pool
from plumbing.sealed_secrets import SecretSeal
from services.scoring.adapters.smtp_sender import SmtpMailSender
from services.scoring.adapters.webhook_sender import HttpWebhookSender
from services.scoring.app import running_scoring
from services.scoring.operations.settings import SettingsCache
from services.scoring.wiring import build_notification_relay, build_rescore, build_weekly_digests
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.platform import TEST_WEBHOOK_SECRET_KEYS, scoring_settings
from tests.integration.scoring.habit_world import Habit, HabitWorld, Member
from tests.integration.scoring.receivers import Mailbox, Receiver, smtp_server
from tests.integration.scoring.scenario_support import caught_up, publish_events

pytestmark = pytest.mark.integration
TENANT = "digest-time"
REAL_TODAY = datetime.now(UTC).date()
MONDAY = REAL_TODAY - timedelta(days=REAL_TODAY.weekday())
SUNDAY = MONDAY - timedelta(days=1)
YEAR, WEEK, _ = MONDAY.isocalendar()
THIS_WEEK = f"week {YEAR}-W{WEEK:02d}"
GRACE = timedelta(hours=6)
STEWARD = "sam.steward@acme.example"
SECRET = "digest-hook-secret-0123456789"
SEAL = SecretSeal(SecretStr(TEST_WEBHOOK_SECRET_KEYS), setting="test")


def world(webhook_port: int) -> HabitWorld:
    return HabitWorld(
        tenant_id=TENANT,
        today=MONDAY,
        teams={"team-a": ("boss-a", (Member("wes", "account_executive", Habit(fills_budget=False), "Wes"),))},
        extra_people=(crm_pb2.Person(rep_id="sam", role="data_steward", email=STEWARD, display_name="Sam"),),
        # As the gateway stores and publishes it: sealed, never in clear.
        webhooks=(
            crm_pb2.NotificationWebhook(
                url=f"http://127.0.0.1:{webhook_port}/hook", sealed_signing_secret=SEAL.seal(SECRET)
            ),
        ),
    )


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver(refuse=0) as running:
        yield running


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
async def ingested(isolated: Isolated, receiver: Receiver, scoring_pool: Pool) -> AsyncIterator[None]:
    async with running_scoring(scoring_settings(isolated, group="digest-time")):
        await publish_events(isolated.bootstrap_servers, isolated.topics, world(receiver.port).events())
        await eventually(
            lambda: caught_up(isolated.bootstrap_servers, "digest-time", isolated.topics), timeout_sec=120
        )
        yield


async def this_weeks_digests(pool: Pool) -> list[scoring_pb2.Notification]:
    rows = await pool.fetch(
        "SELECT payload FROM notifications WHERE tenant_id = $1 AND kind = 'digest'", TENANT
    )
    notes = [scoring_pb2.Notification.FromString(r["payload"]) for r in rows]
    return [n for n in notes if THIS_WEEK in n.title]


async def test_the_weekly_digest_is_made_by_time_once_without_a_monday_rescore(
    ingested: None, receiver: Receiver, mailbox: Any, scoring_pool: Pool
) -> None:
    box, smtp_port_number = mailbox
    cache = SettingsCache()
    # The last rescore ran on Sunday; none runs on Monday.
    await build_rescore(scoring_pool, now=lambda: datetime.combine(SUNDAY, time(12), tzinfo=UTC),
                        tenant_settings=cache, mail=True).rescore_tenant(TENANT, full=True)  # fmt: skip
    assert await this_weeks_digests(scoring_pool) == []
    digests = build_weekly_digests(scoring_pool, tenant_settings=cache, mail=True, grace=GRACE)
    monday_start = datetime.combine(MONDAY, time(), tzinfo=UTC)
    assert await digests(monday_start + GRACE - timedelta(minutes=1)) == 0  # Monday's rescore may come
    assert await digests(monday_start + GRACE) == 2  # the team's and the tenant's
    made = await this_weeks_digests(scoring_pool)
    assert sorted(n.team_id for n in made) == ["", "team-a"]
    team = next(n for n in made if n.team_id == "team-a")
    assert f"figures as of {SUNDAY.isoformat()}: the last day scoring computed team health" in team.lines
    assert any(r.owner == "Wes" and "Budget empty" in r.problem for r in team.records)

    # Never twice: the next check, another replica's schedule, and the next rescore add no digest.
    assert await digests(monday_start + GRACE + timedelta(hours=1)) == 0
    other = build_weekly_digests(scoring_pool, tenant_settings=SettingsCache(), mail=True, grace=GRACE)
    assert await other(monday_start + GRACE + timedelta(hours=2)) == 0
    await build_rescore(scoring_pool, now=lambda: monday_start + timedelta(days=1, hours=3),
                        tenant_settings=cache, mail=True).rescore_tenant(TENANT, full=True)  # fmt: skip
    assert sorted(n.id for n in await this_weeks_digests(scoring_pool)) == sorted(n.id for n in made)

    webhooks = HttpWebhookSender()
    mail = SmtpMailSender("127.0.0.1", smtp_port_number, "gt@acme.example")
    # Without the key the sealed secret cannot sign: the webhook is not called, and the delivery
    # says why and is retried; with the key it signs with the secret the admin gave.
    keyless = build_notification_relay(scoring_pool, tenant_settings=cache, webhooks=webhooks, mail=mail)
    relay = build_notification_relay(
        scoring_pool,
        tenant_settings=cache,
        webhooks=webhooks,
        mail=mail,
        webhook_secret_keys=SecretStr(TEST_WEBHOOK_SECRET_KEYS),
    )
    try:
        await keyless.deliver_due(monday_start + timedelta(days=2))
        assert receiver.received == []
        errors = await scoring_pool.fetch(
            "SELECT DISTINCT last_error FROM notification_deliveries "
            "WHERE tenant_id = $1 AND target <> 'email'",
            TENANT,
        )
        assert [r["last_error"] for r in errors] == [
            "the webhook secret is sealed and GT_SCORING_WEBHOOK_SECRET_KEYS is not set"
        ]
        await relay.deliver_due(monday_start + timedelta(days=3))
    finally:
        await webhooks.aclose()
    for headers, body in receiver.received:
        stamp = headers["x-groundtruth-timestamp"]
        signed = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-groundtruth-signature"], "sha256=" + signed)
    delivered = [json.loads(body)["groundtruth"] for _, body in receiver.received]
    this_week = [d for d in delivered if d["kind"] == "digest" and THIS_WEEK in d["title"]]
    assert sorted(d["team_id"] for d in this_week) == ["", "team-a"]
    subjects = [m["Subject"] for rcpt, m in box.messages if rcpt == [STEWARD]]
    assert sum(1 for s in subjects if THIS_WEEK in s) == 2
