"""Feedback loops through real parts: events through the broker into the scoring service, a full
rescore on an injected Monday creating the weekly digests and alerts in PostgreSQL, and delivery to a
real local HTTP receiver (signed, Slack-compatible, retried after a refusal) and a real local SMTP
server (aiosmtpd) for the tenant's data steward."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from groundtruth.crm.v1 import crm_pb2
from groundtruth.scoring.v1 import scoring_pb2, scoring_pb2_grpc
from plumbing.db.pool import Pool
from services.scoring.adapters.smtp_sender import SmtpMailSender
from services.scoring.adapters.webhook_sender import HttpWebhookSender
from services.scoring.app import running_scoring
from services.scoring.operations.settings import SettingsCache
from services.scoring.wiring import build_notification_relay, build_rescore
from tests.conftest import eventually
from tests.integration.conftest import Isolated
from tests.integration.platform import scoring_settings
from tests.integration.scoring.habit_world import Habit, HabitWorld, Member
from tests.integration.scoring.receivers import Mailbox, Receiver, smtp_server
from tests.integration.scoring.scenario_support import caught_up, publish_events

pytestmark = pytest.mark.integration
TENANT = "feedback"
SECRET = "whsec-test-0123456789"
REAL_TODAY = datetime.now(UTC).date()
MONDAY = REAL_TODAY - timedelta(days=REAL_TODAY.weekday())  # digests are made on Mondays
NOW = datetime.combine(MONDAY, time(7), tzinfo=UTC)
STEWARD = "dana.steward@acme.example"


def world(webhook_port: int) -> HabitWorld:
    return HabitWorld(
        tenant_id=TENANT,
        today=MONDAY,
        teams={
            "team-a": (
                "boss-a",
                (
                    Member("ada", "account_executive", Habit(), "Ada Lovelace"),
                    Member("wes", "account_executive", Habit(fills_budget=False), "Wes Later"),
                    # The mailbox stopped a week ago: an alert, and a deal without activity in 7 days.
                    Member("sil", "account_executive", Habit(silent_last_days=8), "Sil Ence"),
                ),
            )
        },
        extra_people=(
            crm_pb2.Person(rep_id="dana", role="data_steward", email=STEWARD, display_name="Dana"),
        ),
        webhooks=(
            crm_pb2.NotificationWebhook(url=f"http://127.0.0.1:{webhook_port}/hook", signing_secret=SECRET),
        ),
    )


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver(refuse=1) as running:
        yield running


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
async def ingested(isolated: Isolated, receiver: Receiver, scoring_pool: Pool) -> AsyncIterator[int]:
    """The scoring service's gRPC port, once it consumed the organisation's events."""
    async with running_scoring(scoring_settings(isolated, group="feedback")) as running:
        await publish_events(isolated.bootstrap_servers, isolated.topics, world(receiver.port).events())
        await eventually(
            lambda: caught_up(isolated.bootstrap_servers, "feedback", isolated.topics), timeout_sec=120
        )
        yield running.grpc_port


async def test_digest_and_alerts_reach_the_webhook_signed_and_the_data_steward_by_email(
    ingested: int, receiver: Receiver, mailbox: Any, scoring_pool: Pool, isolated: Isolated
) -> None:
    box, smtp_port_number = mailbox
    cache = SettingsCache()
    rescore = build_rescore(scoring_pool, now=lambda: NOW, tenant_settings=cache, mail=True)
    await rescore.rescore_tenant(TENANT, full=True)
    await rescore.rescore_tenant(TENANT, full=True)  # the same day again: nothing new to send
    webhooks = HttpWebhookSender()
    relay = build_notification_relay(
        scoring_pool,
        tenant_settings=cache,
        webhooks=webhooks,
        mail=SmtpMailSender("127.0.0.1", smtp_port_number, "gt@acme.example"),
    )
    try:
        first = await relay.deliver_due(NOW)
        again = await relay.deliver_due(NOW + timedelta(seconds=30))  # the refused webhook waits a minute
        later = await relay.deliver_due(NOW + timedelta(minutes=2))
    finally:
        await webhooks.aclose()

    notes = await scoring_pool.fetch("SELECT kind, team_id FROM notifications WHERE tenant_id = $1", TENANT)
    kinds = sorted((r["kind"], r["team_id"]) for r in notes)
    assert ("digest", "team-a") in kinds and ("digest", "") in kinds
    assert ("alert_mailbox_broken", "team-a") in kinds
    assert ("alert_stale_opportunities", "team-a") in kinds
    total = len(notes)
    # Every note went to both targets: the webhook once refused, then retried after its backoff.
    assert (first, again, later) == (2 * total - 1, 0, 1)
    assert receiver.attempts == total + 1 and len(receiver.received) == total
    for headers, body in receiver.received:
        stamp = headers["x-groundtruth-timestamp"]
        expected = (
            "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        )
        assert hmac.compare_digest(headers["x-groundtruth-signature"], expected)
        payload = json.loads(body)
        assert payload["text"] and payload["blocks"][0]["type"] == "header"  # Slack-compatible
    digests = [
        json.loads(b)["groundtruth"]
        for _, b in receiver.received
        if json.loads(b)["groundtruth"]["kind"] == "digest"
    ]
    team_digest = next(d for d in digests if d["team_id"] == "team-a")
    assert 1 <= len(team_digest["records"]) <= 5
    assert any("Budget empty" in r["problem"] and r["owner"] == "Wes Later" for r in team_digest["records"])
    assert any(line.startswith("below target:") for line in team_digest["lines"])
    assert len(box.messages) == total
    assert all(rcpt == [STEWARD] for rcpt, _ in box.messages)
    subjects = {m["Subject"] for _, m in box.messages}
    assert any("weekly data-quality digest" in s for s in subjects)
    assert any("mailbox of Sil Ence" in s for s in subjects)

    # Visible where the dashboard reads them: each note with its deliveries done.
    async with isolated.client_tls.channel(f"127.0.0.1:{ingested}") as channel:
        listed = await scoring_pb2_grpc.ScoringQueryStub(channel).ListNotifications(
            scoring_pb2.ListNotificationsRequest(tenant_id=TENANT, team_id="team-a")
        )
    assert {n.kind for n in listed.notifications} >= {"digest", "alert_mailbox_broken"}
    assert all(
        (n.deliveries_done, n.deliveries_pending, n.deliveries_failed) == (2, 0, 0)
        for n in listed.notifications
    )
