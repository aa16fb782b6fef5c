"""Change notifications from the Microsoft 365 emulator: the validation handshake, clientState, the
latency a notification buys, lifecycle events, and odd pages (empty, replayed)."""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY

from tests.conftest import eventually
from tests.integration.capture.rig import CUSTOMER, SEEDED, Rig, aid, holds, running_rig
from tests.integration.conftest import Isolated

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def rig(isolated: Isolated, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    async with running_rig(isolated, tmp_path_factory) as running:
        yield running


def notifications() -> tuple[float, float]:
    """(accepted, rejected) change notifications so far, from capture's metrics."""

    def sample(outcome: str) -> float:
        labels = {"provider": "microsoft", "kind": "change", "outcome": outcome}
        return REGISTRY.get_sample_value("gt_capture_notifications_total", labels) or 0.0

    return sample("accepted"), sample("rejected")


async def test_webhook_validation_handshake_and_client_state(rig: Rig) -> None:
    base = f"http://127.0.0.1:{rig.capture.http_port}/webhooks/microsoft"
    token = "Validation: Testing client application reachability for subscription Request-Id: 7f2a"
    async with httpx.AsyncClient(base_url=base) as client:
        for path in ("/notifications", "/lifecycle"):
            started = time.monotonic()
            echoed = await client.post(
                path, params={"validationToken": token}, content=b"", headers={"Content-Type": "text/plain"}
            )
            assert time.monotonic() - started < 3
            assert echoed.status_code == 200
            assert echoed.headers["content-type"].startswith("text/plain")
            assert echoed.text == token  # URL-decoded, exactly
        await rig.idle(SEEDED[0])
        await rig.subscribed(SEEDED[0])
        subscription = rig.emulator.subscriptions_of(SEEDED[0])[0]
        before = notifications()

        def notification(client_state: str) -> dict[str, object]:
            return {
                "value": [
                    {
                        "subscriptionId": subscription["id"],
                        "clientState": client_state,
                        "changeType": "created",
                    }
                ]
            }

        answer = await client.post("/notifications", json=notification("guessed"))
        assert answer.status_code == 202  # dropped, but answered 202 as Graph recommends
        assert notifications() == (before[0], before[1] + 1), "a forged clientState was accepted"
        genuine = await client.post("/notifications", json=notification(subscription["clientState"]))
        assert genuine.status_code == 202
        assert notifications() == (before[0] + 1, before[1] + 1)
        assert (await client.post("/notifications", content=b"not json")).status_code == 400
        assert (await client.post("/notifications", content=b"x" * 1_000_001)).status_code == 413
    for sub in rig.emulator.subscriptions_of(SEEDED[0]):
        assert sub["notificationUrl"].endswith("/webhooks/microsoft/notifications")
        assert sub["lifecycleNotificationUrl"].endswith("/webhooks/microsoft/lifecycle")
        assert 0 < len(sub["clientState"]) <= 128


async def test_a_notification_produces_the_activity_within_a_second(rig: Rig) -> None:
    mailbox = rig.new_mailbox("latency")
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await rig.subscribed(mailbox)
    latencies = []
    for n in range(7):
        started = time.monotonic()
        item = rig.emulator.add_message(mailbox, sender=CUSTOMER, to=[mailbox], subject=f"n{n}")
        wanted = aid(mailbox, item)

        async def arrived(wanted: str = wanted) -> bool:
            return wanted in rig.tail.live_ids(mailbox)

        await eventually(arrived, timeout_sec=10, interval_sec=0.005)
        arrival = next(r.at for r in rig.tail.records if r.activity.id == wanted)
        latencies.append(arrival - started)
        await rig.idle(mailbox, passes=rig.worker(mailbox).passes)
    median = statistics.median(latencies)
    figures = [round(x, 3) for x in latencies]
    print(f"change → activity on Kafka via notification, seconds: {figures}; median {median:.3f}")
    # Polling is every 600 s here: only the notification explains an arrival this fast.
    assert median < 1.0


async def test_lifecycle_events_recreate_reauthorize_and_catch_up(rig: Rig) -> None:
    mailbox = rig.new_mailbox("lifecycle")
    emu = rig.emulator
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await rig.subscribed(mailbox)
    messages_sub = next(s for s in emu.subscriptions_of(mailbox) if s["resource"].endswith("/messages"))

    # Removed: capture creates a new subscription and runs a delta for what it may have missed.
    emu.set_notifications(False)
    missed_while_removed = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    emu.set_notifications(True)
    assert await emu.lifecycle(messages_sub["id"], "subscriptionRemoved") == 202
    await eventually(
        lambda: holds(aid(mailbox, missed_while_removed) in rig.tail.live_ids(mailbox)), timeout_sec=10
    )
    await rig.subscribed(mailbox)
    renewed = next(s for s in emu.subscriptions_of(mailbox) if s["resource"].endswith("/messages"))
    assert renewed["id"] != messages_sub["id"]
    after_recreate = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    await eventually(
        lambda: holds(aid(mailbox, after_recreate) in rig.tail.live_ids(mailbox)), timeout_sec=10
    )

    # Reauthorization required: notifications stop until capture reauthorizes.
    assert await emu.lifecycle(renewed["id"], "reauthorizationRequired") == 202

    async def reauthorized() -> bool:
        return not emu.state.subscriptions.by_id[renewed["id"]].needs_reauthorization

    await eventually(reauthorized, timeout_sec=10)
    after_reauth = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    await eventually(lambda: holds(aid(mailbox, after_reauth) in rig.tail.live_ids(mailbox)), timeout_sec=10)

    # Missed: a delta catches up what the notifications did not carry.
    emu.set_notifications(False)
    unseen = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    emu.set_notifications(True)
    assert await emu.lifecycle(renewed["id"], "missed") == 202
    await eventually(lambda: holds(aid(mailbox, unseen) in rig.tail.live_ids(mailbox)), timeout_sec=10)


async def test_empty_pages_and_replayed_items_change_nothing(rig: Rig) -> None:
    mailbox = rig.new_mailbox("replays")
    emu = rig.emulator
    items = [emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox]) for _ in range(12)]
    emu.empty_pages(mailbox, count=4)
    emu.replay(mailbox, count=3)
    await rig.add(mailbox)
    await rig.idle(mailbox)
    await rig.subscribed(mailbox)
    emu.replay(mailbox, count=8)
    emu.empty_pages(mailbox, count=2)
    late = emu.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    expected = {aid(mailbox, i) for i in [*items, late]}
    await eventually(lambda: holds(rig.tail.live_ids(mailbox) == expected), timeout_sec=10)
    await rig.idle(mailbox, passes=2)
    published = [a.id for a in rig.tail.for_mailbox(mailbox)]
    assert sorted(published) == sorted(expected), "a replayed item was published again"
