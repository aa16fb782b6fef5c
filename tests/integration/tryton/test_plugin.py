"""The Tryton plugin against a real Tryton server and the real platform (no mocks).

In order, on one world (tests/integration/tryton/world.py): Tryton's records reach scoring and CRM
changes made through Tryton's API follow; captured activity is written back into Tryton once, on the
right party and opportunity, and reported back as logged; the connector killed mid-batch and
restarted loses and doubles nothing; a Tryton outage is retried, never dropped; scores land on the
employees. Plus the write-back's idempotency straight against the module.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from groundtruth.gateway.v1 import gateway_pb2
from plugins.tryton.connector import mapping
from plugins.tryton.connector.inbound import load_directory
from plugins.tryton.connector.jsonrpc import TrytonRpc
from plugins.tryton.sandbox import demo as tryton_demo
from services.client import GroundtruthClient, external_id
from tests.conftest import eventually
from tests.integration.tryton.world import TrytonWorld, connector_process, running_connector

pytestmark = pytest.mark.integration
TENANT = "demo"


async def _scoring_records(world: TrytonWorld) -> dict[str, dict[str, Any]]:
    conn = await world.scoring()
    try:
        rows = await conn.fetch(
            "SELECT crm_id, object_type, deleted, owner_rep_id, stage, is_closed, domains, email, "
            "account_crm_id FROM scoring.crm_records WHERE tenant_id = $1",
            TENANT,
        )
        return {r["crm_id"]: dict(r) for r in rows}
    finally:
        await conn.close()


async def _tryton_ids(rpc: TrytonRpc) -> set[str]:
    ids = {mapping.crm_id(mapping.PARTY, r["id"]) for r in await rpc.search_read(mapping.PARTY, [], ["id"])}
    ids |= {
        mapping.crm_id(mapping.MECHANISM, r["id"])
        for r in await rpc.search_read(mapping.MECHANISM, [("type", "=", "email")], ["id"])
    }
    ids |= {
        mapping.crm_id(mapping.OPPORTUNITY, r["id"])
        for r in await rpc.search_read(mapping.OPPORTUNITY, [], ["id"])
    }
    return ids


async def _feed(world: TrytonWorld) -> list[gateway_pb2.FeedPage]:
    """Every page of the write-back feed, read on a subscription of its own (acks nothing else)."""
    pages: list[gateway_pb2.FeedPage] = []
    async with GroundtruthClient(world.grpc_target, world.plugin_key) as client:
        cursor = ""
        while True:
            page = await client.read_feed(subscription="test-reader", cursor=cursor, page_size=500)
            if not page.activities:
                return pages
            pages.append(page)
            cursor = page.cursor


async def _written(rpc: TrytonRpc) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    activities = await rpc.search_read(
        "groundtruth.activity", [], ["id", "external_id", "party", "opportunity", "kind", "subject"]
    )
    copies = await rpc.search_read(
        "groundtruth.activity.copy", [], ["id", "source_id", "activity", "employee"]
    )
    return activities, copies


async def test_records_and_changes_made_in_tryton_reach_scoring(tryton_world: TrytonWorld) -> None:
    world = tryton_world
    async with world.rpc() as admin, running_connector(world):
        internal = {
            mapping.crm_id(mapping.PARTY, r["party"])
            for r in await admin.search_read("company.employee", [], ["party"])
        }
        expected = (
            await _tryton_ids(admin) - internal - {mapping.crm_id(mapping.PARTY, world.loaded.company.party)}
        )

        async def mirrored() -> bool:
            return expected <= set(await _scoring_records(world))

        await eventually(mirrored, timeout_sec=60, interval_sec=0.5)
        records = await _scoring_records(world)
        opportunity = next(
            v for k, v in records.items() if k.startswith(mapping.OPPORTUNITY) and not v["is_closed"]
        )
        assert opportunity["owner_rep_id"] in {r.rep_id for r in world.story.reps}
        account = records[opportunity["account_crm_id"]]
        assert account["domains"], "a party's website becomes the account's domain"

        # A rep logs in to Tryton and loses the deal; an admin adds a customer and removes a contact.
        rep = next(r for r in world.story.reps if r.rep_id == opportunity["owner_rep_id"])
        async with TrytonRpc(
            world.site.url, world.site.database, rep.rep_id.split("@")[0], tryton_demo.REP_PASSWORD
        ) as session:
            await session.login()
            deal = mapping.record_id(opportunity["crm_id"], mapping.OPPORTUNITY)
            await session.call("model.sale.opportunity.lost", [deal])
        (party,) = await admin.call(
            "model.party.party.create",
            [{"name": "Zeta Robotics", "contact_mechanisms": [("create", [
                {"type": "website", "value": "https://zeta-robotics.example/"},
                {"type": "email", "value": "ines@zeta-robotics.example", "name": "Ines Zeta"},
            ])]}],
        )  # fmt: skip
        contact = next(k for k, v in records.items() if v["object_type"] == "contact" and not v["deleted"])
        await admin.call(
            "model.party.contact_mechanism.delete", [mapping.record_id(contact, mapping.MECHANISM)]
        )

        async def changed() -> bool:
            now = await _scoring_records(world)
            new = now.get(mapping.crm_id(mapping.PARTY, party))
            return (
                now[opportunity["crm_id"]]["stage"] == "lost"
                and now[opportunity["crm_id"]]["is_closed"]
                and new is not None
                and new["domains"] == ["zeta-robotics.example"]
                and now[contact]["deleted"]
            )

        await eventually(changed, timeout_sec=30, interval_sec=0.5)

        # The login and the change travel as separate plugin events: wait for both to be counted.
        async def counted() -> bool:
            conn = await world.scoring()
            try:
                day = await conn.fetchrow(
                    "SELECT logins, crm_writes FROM scoring.rep_days "
                    "WHERE tenant_id = $1 AND rep_id = $2 AND day = $3",
                    TENANT, rep.rep_id, datetime.now(UTC).date(),
                )  # fmt: skip
            finally:
                await conn.close()
            # The rep's Tryton login is a login in scoring; the rep's own change is their CRM write.
            return day is not None and day["logins"] >= 1 and day["crm_writes"] >= 1

        await eventually(counted, timeout_sec=30, interval_sec=0.5)


async def test_captured_activity_is_written_back_once_on_the_right_records(tryton_world: TrytonWorld) -> None:
    world = tryton_world
    async with world.rpc() as admin, running_connector(world, feed_page_size=7):

        async def matched() -> bool:
            pages = await _feed(world)
            return sum(len(p.activities) for p in pages) > 10

        await eventually(matched, timeout_sec=60, interval_sec=1)
        await eventually(lambda: _caught_up(world, admin), timeout_sec=60, interval_sec=0.5)
    feed = [m for page in await _feed(world) for m in page.activities]
    activities, copies = await _written(admin_rpc := world.rpc())
    await admin_rpc.close()
    by_external = {a["external_id"]: a for a in activities}
    assert len(by_external) == len(activities), "one Tryton activity per Message-ID / iCalendar UID"
    assert {c["source_id"] for c in copies} == {m.activity.id for m in feed}, "every captured copy, once"
    assert len(copies) == len({c["source_id"] for c in copies})
    latest = {m.activity.id: m for m in feed}  # a re-matched activity appears again, later
    for matched_activity in latest.values():
        written = by_external[external_id(matched_activity.activity)]
        if matched_activity.opportunity_crm_id:
            assert written["opportunity"] == mapping.record_id(
                matched_activity.opportunity_crm_id, mapping.OPPORTUNITY
            )
        if matched_activity.account_crm_id:
            assert written["party"] == mapping.record_id(matched_activity.account_crm_id, mapping.PARTY)
    assert any(a["opportunity"] for a in activities), "meetings and e-mails land on opportunities"
    assert any(a["kind"] == "meeting" for a in activities) and any(a["kind"] == "email" for a in activities)
    conn = await world.scoring()
    try:
        logged = await conn.fetchval(
            "SELECT count(*) FROM scoring.manual_logs "
            "WHERE tenant_id = $1 AND crm_activity_id LIKE 'groundtruth.activity.copy,%'",
            TENANT,
        )
    finally:
        await conn.close()
    assert logged == len(copies), "each write-back is reported to Groundtruth as logged, once"


async def _caught_up(world: TrytonWorld, rpc: TrytonRpc) -> bool:
    feed = {m.activity.id for page in await _feed(world) for m in page.activities}
    copies = {c["source_id"] for c in await rpc.search_read("groundtruth.activity.copy", [], ["source_id"])}
    return bool(feed) and feed <= copies


async def test_killed_mid_batch_and_restarted_loses_and_doubles_nothing(
    tryton_world: TrytonWorld, logs: Path
) -> None:
    world = tryton_world
    async with world.rpc() as admin:
        # Start over on a fresh subscription and fresh watermarks: everything is written again.
        streams = (
            mapping.PARTY,
            mapping.MECHANISM,
            mapping.OPPORTUNITY,
            "groundtruth.deletion",
            "groundtruth.login",
        )
        await admin.call("model.groundtruth.sync_state.set_points", dict.fromkeys(streams, ""))
        before_activities, before_copies = await _written(admin)
        env = {
            "GT_TRYTON_SUBSCRIPTION": "restart",
            "GT_TRYTON_FEED_PAGE_SIZE": "3",
            "GT_TRYTON_PAGE_SIZE": "5",
        }
        with connector_process(world, logs / "connector-1.log", **env) as first:
            # Kill it as soon as it has written a page of the new subscription, mid-way.
            async def wrote_some() -> bool:
                acked = await _acked(world, "restart")
                return acked > 0

            await eventually(wrote_some, timeout_sec=60, interval_sec=0.05)
            first.send_signal(signal.SIGKILL)
            first.wait()
        feed = {m.activity.id for page in await _feed(world) for m in page.activities}
        assert await _acked(world, "restart") < len(feed), "killed before the end of the feed"
        with connector_process(world, logs / "connector-2.log", **env):
            await eventually(
                lambda: _subscription_done(world, "restart", len(feed)), timeout_sec=90, interval_sec=0.3
            )
        activities, copies = await _written(admin)
    assert len(copies) == len({c["source_id"] for c in copies}) == len(before_copies)
    assert len(activities) == len(before_activities), "written again over itself, never twice"
    assert {m: [c["id"] for c in copies if c["source_id"] == m] for m in feed} == {
        m: [c["id"] for c in before_copies if c["source_id"] == m] for m in feed
    }
    records = await _scoring_records(world)
    async with world.rpc() as admin:
        internal = {mapping.crm_id(mapping.PARTY, p) for p in (await load_directory(admin)).internal_parties}
        assert not (await _tryton_ids(admin) - set(records) - internal), "no record lost"


async def _acked(world: TrytonWorld, subscription: str) -> int:
    """How many feed activities the subscription has acked (from its resume point)."""
    async with GroundtruthClient(world.grpc_target, world.plugin_key) as client:
        page = await client.read_feed(subscription=subscription, page_size=500)
        total = sum(len(p.activities) for p in await _feed(world))
        return total - len(page.activities)


async def _subscription_done(world: TrytonWorld, subscription: str, total: int) -> bool:
    return await _acked(world, subscription) >= total


async def test_a_tryton_outage_is_retried_never_dropped(tryton_world: TrytonWorld) -> None:
    world = tryton_world
    await asyncio.to_thread(world.server.kill)  # Tryton is down before the connector's first write
    try:
        async with running_connector(world, subscription="outage") as connector:

            async def retrying() -> bool:
                loop = connector.status["loops"].get("outbound", {})
                return int(loop.get("failures", 0)) >= 2

            await eventually(retrying, timeout_sec=30, interval_sec=0.2)
            assert await _acked(world, "outage") == 0, "nothing acked that Tryton did not commit"
            await asyncio.to_thread(world.server.start)
            total = sum(len(p.activities) for p in await _feed(world))
            await eventually(
                lambda: _subscription_done(world, "outage", total), timeout_sec=60, interval_sec=0.3
            )
            assert connector.status["loops"]["outbound"]["last_error"] is None
    finally:
        if not await _answers(world):
            await asyncio.to_thread(world.server.start)


async def _answers(world: TrytonWorld) -> bool:
    try:
        async with world.rpc() as rpc:
            await rpc.login()
    except Exception:
        return False
    return True


async def test_scores_are_readable_on_the_employees(tryton_world: TrytonWorld) -> None:
    world = tryton_world
    async with world.rpc() as admin, running_connector(world):

        async def stored() -> bool:
            rows = await admin.search_read("groundtruth.rep_score", [], ["rep_id", "employee"])
            return {r.rep_id for r in world.story.reps} <= {r["rep_id"] for r in rows}

        await eventually(stored, timeout_sec=60, interval_sec=0.5)
        employee = world.loaded.employees[world.story.reps[0].rep_id]
        (row,) = await admin.search_read(
            "company.employee",
            [("id", "=", employee)],
            ["gt_classification", "gt_scored_at", "gt_adoption_score"],
        )
    assert row["gt_classification"], "the employee form shows the rep's class"
    assert row["gt_scored_at"] is not None


async def test_write_back_upserts_by_external_id(tryton_world: TrytonWorld) -> None:
    """Straight against the module: a re-capture under a new activity id, and a second rep's copy of
    the same e-mail, update one record."""
    async with tryton_world.rpc(login="groundtruth", password=tryton_demo.INTEGRATION_PASSWORD) as rpc:
        item = {
            "external_id": "message:<re-capture@northwind.example>", "source_id": "gt-a", "kind": "email",
            "direction": "sent", "subject": "Pricing", "occurred_at": datetime(2026, 1, 5, 10, tzinfo=UTC),
            "party": None, "opportunity": None, "contacts": [], "participants": "", "state": "done",
            "confidence": 0.5, "reason": "r", "rep_id": "x@contoso.example", "employee": None,
            "feed_sequence": 1,
        }  # fmt: skip
        first = await rpc.call("model.groundtruth.activity.upsert_from_feed", [item])
        again = await rpc.call("model.groundtruth.activity.upsert_from_feed", [item])
        other = await rpc.call(
            "model.groundtruth.activity.upsert_from_feed",
            [{**item, "source_id": "gt-b", "direction": "received"}],
        )
        rows = await rpc.search_read(
            "groundtruth.activity", [("external_id", "=", item["external_id"])], ["copies"]
        )
        # The same copy under a new Message-ID (a provider that re-issued it): it moves, nothing is left.
        moved = await rpc.call(
            "model.groundtruth.activity.upsert_from_feed",
            [{**item, "source_id": "gt-c", "external_id": "message:<old@northwind.example>"}],
        )
        await rpc.call(
            "model.groundtruth.activity.upsert_from_feed",
            [{**item, "source_id": "gt-c", "external_id": "message:<new@northwind.example>"}],
        )
        left = await rpc.search_read("groundtruth.activity", [("id", "=", moved[0][1])], ["id"])
    assert first == again, "the same copy again changes nothing"
    assert left == [], "a record left without copies is dropped"
    assert other[0][1] == first[0][1] and other[0][2] != first[0][2], "another copy, the same activity"
    assert len(rows) == 1 and len(rows[0]["copies"]) == 2
