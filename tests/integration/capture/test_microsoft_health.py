"""Honest health against the Microsoft emulator through the real msal and httpx: a chain of endless
empty pages and a hanging Graph are cut and read `stale` (never `syncing` forever), and once the
provider behaves the mailbox catches up with nothing lost; a refused token is replaced by a newly
issued one, and an app credential revoked at the authority is reported as such."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import eventually
from tests.integration.capture.harness import CLIENT_ID, expected_ids
from tests.integration.capture.rig import CUSTOMER, SEEDED, Rig, aid, running_rig
from tests.integration.conftest import Isolated

pytestmark = pytest.mark.integration
MAX_EMPTY = 4


@pytest.fixture(scope="module")
async def rig(isolated: Isolated, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    overrides = {"max_empty_pages": MAX_EMPTY, "pass_timeout_sec": 4.0, "microsoft_timeout_sec": 30.0}
    async with running_rig(isolated, tmp_path_factory, **overrides) as running:
        await running.idle(*SEEDED)
        yield running


def _seed(rig: Rig, mailbox: str) -> None:
    sent = datetime.now(UTC) - timedelta(hours=2)
    for i in range(6):
        rig.emulator.add_message(mailbox, sender=CUSTOMER, to=[mailbox], sent_at=sent + timedelta(minutes=i))


async def _caught_up(rig: Rig, mailbox: str) -> None:
    expected = expected_ids(rig.emulator, mailbox, rig.window)

    async def arrived() -> bool:
        return rig.tail.live_ids(mailbox) == expected

    await eventually(arrived, timeout_sec=30)
    assert len(expected) == 6


async def test_endless_empty_pages_are_cut_and_read_stale_then_recover(rig: Rig) -> None:
    mailbox = rig.new_mailbox("endless")
    _seed(rig, mailbox)
    rig.emulator.empty_pages(mailbox, count=1_000_000)
    await rig.add(mailbox)
    status = await rig.status(mailbox, state="stale")
    assert status.last_error.startswith("stalled: "), status.last_error
    assert "empty pages in a row" in status.last_error
    delta_requests = [r for r in rig.emulator.requests(mailbox) if "delta" in r.operation]
    # Three streams, each cut after MAX_EMPTY + 1 empty pages per pass: bounded, not 55 requests/s.
    assert len(delta_requests) < 10 * 3 * (MAX_EMPTY + 1), len(delta_requests)
    rig.emulator.state.faults_for(mailbox).empty_pages = 0
    await rig.trigger(mailbox)
    await rig.status(mailbox, state="idle")
    await _caught_up(rig, mailbox)


async def test_a_hanging_graph_is_cut_by_the_pass_deadline_then_recovers(rig: Rig) -> None:
    mailbox = rig.new_mailbox("hanging")
    _seed(rig, mailbox)
    rig.emulator.set_latency(8.0)
    try:
        await rig.add(mailbox)
        status = await rig.status(mailbox, state="stale")
        assert status.last_error.startswith("stalled: the pass took longer than 4s"), status.last_error
    finally:
        rig.emulator.set_latency(0.0)
    await rig.trigger(mailbox)
    await rig.status(mailbox, state="idle")
    await _caught_up(rig, mailbox)


async def test_after_a_401_the_retry_uses_a_newly_issued_token(rig: Rig) -> None:
    mailbox = rig.new_mailbox("token-revoked")
    _seed(rig, mailbox)
    await rig.add(mailbox)
    await _caught_up(rig, mailbox)
    # Every token issued so far is refused by Graph; the token endpoint still issues new ones. MSAL's
    # cache still holds the refused token: a retry with it would put the mailbox in error.
    assert rig.emulator.revoke_access_tokens() > 0
    late = rig.emulator.add_message(mailbox, sender=CUSTOMER, to=[mailbox])
    await rig.trigger(mailbox)

    async def arrived() -> bool:
        return aid(mailbox, late) in rig.tail.live_ids(mailbox)

    await eventually(arrived, timeout_sec=20)
    status = await rig.status(mailbox)
    assert status.last_error == "", status.last_error


async def test_an_app_credential_revoked_at_the_authority_is_its_own_reason(rig: Rig) -> None:
    mailbox = rig.new_mailbox("app-revoked")
    _seed(rig, mailbox)
    await rig.add(mailbox)
    await _caught_up(rig, mailbox)
    rig.emulator.revoke(CLIENT_ID)
    rig.emulator.revoke_access_tokens()
    try:
        await rig.trigger(mailbox)
        status = await rig.status(mailbox, state="error")
        assert status.last_error.startswith("app_revoked: invalid_client"), status.last_error
    finally:
        rig.emulator.revoke(CLIENT_ID, revoked=False)
    await rig.trigger(mailbox)
    await rig.status(mailbox, state="idle")
