"""The demo's story: deterministic, every archetype, four teams with managers on both providers,
60 days of history, and CRM events shaped the way a plugin sends them."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from groundtruth.crm.v1 import crm_pb2
from services.sandbox.demo.banner import banner_lines
from services.sandbox.demo.organisation import DOMAINS, DemoSpec, Provider
from services.sandbox.demo.story import DemoStory, ItemKind, story_for
from services.sandbox.synthetic.organisation import SILENT_FOR_DAYS, Archetype

TODAY = date(2026, 3, 18)  # a Wednesday


@pytest.fixture(scope="module")
def story() -> DemoStory:
    return story_for(7, TODAY)  # the story `make run` tells (cached: built once per process)


def test_the_same_spec_tells_the_same_story(story: DemoStory) -> None:
    again = DemoStory(DemoSpec(today=TODAY))
    assert again.mailbox_items == story.mailbox_items
    assert [e.SerializeToString(deterministic=True) for e in again.crm_events] == [
        e.SerializeToString(deterministic=True) for e in story.crm_events
    ]
    assert again.config_body() == story.config_body()


def test_another_seed_tells_another_story(story: DemoStory) -> None:
    other = DemoStory(DemoSpec(today=TODAY, seed=8))
    assert [r.rep_id for r in other.reps] != [r.rep_id for r in story.reps]


def test_four_teams_with_managers_cover_every_archetype_on_both_providers(story: DemoStory) -> None:
    teams = story.organisation.teams
    assert len(teams) == 4 and len(story.reps) == 24
    assert {r.archetype for r in story.reps} == set(Archetype)
    assert {t.provider for t in teams} == set(Provider)
    for team in teams:
        assert len(team.members) == 6 and team.name and team.manager_name
        domain = DOMAINS[team.provider]
        assert team.manager_rep_id.endswith("@" + domain)
        assert all(r.rep_id.endswith("@" + domain) and r.provider is team.provider for r in team.members)
        assert team.manager_rep_id not in {r.rep_id for r in team.members}
    people = [r.rep_id for r in story.reps] + [t.manager_rep_id for t in teams]
    assert len(set(people)) == len(people)


def test_the_configuration_names_every_team_member_and_both_domains(story: DemoStory) -> None:
    body = story.config_body()
    assert sorted(body["internal_domains"]) == sorted(DOMAINS.values())
    members = [m for t in body["teams"] for m in t["member_rep_ids"]]
    assert sorted(members) == sorted(r.rep_id for r in story.reps)
    assert all(t["manager_rep_id"] for t in body["teams"])
    assert body["go_live_date"] == (TODAY - timedelta(days=60)).isoformat()
    assert body["required_opportunity_fields"] and body["stages"]
    for provider in Provider:
        assigned = story.mailboxes_body(provider)["mailboxes"]
        assert assigned and all(m["address"] == m["rep_id"] for m in assigned)


def test_sixty_days_of_mail_and_meetings_with_customers(story: DemoStory) -> None:
    go_live = TODAY - timedelta(days=60)
    days = {i.at.date() for i in story.mailbox_items}
    assert go_live <= min(days) <= go_live + timedelta(days=2)  # from the first business day
    assert max(days) == TODAY  # today's meetings are already in the calendars
    assert len(days) >= 40  # every business day
    assert all(i.at.date() < TODAY for i in story.mailbox_items if i.kind is not ItemKind.MEETING)
    internal = tuple("@" + d for d in DOMAINS.values())
    assert not any(i.counterpart.endswith(internal) for i in story.mailbox_items)
    assert {i.kind for i in story.mailbox_items} == set(ItemKind)


def test_customer_accounts_have_their_own_domains(story: DemoStory) -> None:
    accounts = [
        e.record_upserted
        for e in story.crm_events
        if e.WhichOneof("payload") == "record_upserted"
        and e.record_upserted.object_type == crm_pb2.CRM_OBJECT_TYPE_ACCOUNT
    ]
    originals = [a for a in accounts if not a.crm_id.endswith("-dup")]
    assert len(originals) == 72
    assert len({a.domains[0] for a in originals}) == 72
    assert any(a.crm_id.endswith("-dup") for a in accounts)  # a probable duplicate to flag


def test_a_silent_mailbox_stops_delivering_while_the_others_go_on(story: DemoStory) -> None:
    recent = TODAY - timedelta(days=SILENT_FOR_DAYS - 1)
    for rep in story.reps:
        latest = max(i.at.date() for i in story.items_of(rep.rep_id))
        if rep.archetype is Archetype.SILENT_MAILBOX:
            assert latest < recent, rep
        elif rep.rep_id == story.holiday.rep_id:
            assert latest < story.holiday.starts.date(), rep
        else:
            assert latest >= TODAY - timedelta(days=3), rep


def test_one_adopter_is_on_holiday_and_does_nothing_meanwhile(story: DemoStory) -> None:
    holiday = story.holiday
    rep = next(r for r in story.reps if r.rep_id == holiday.rep_id)
    assert rep.archetype is Archetype.ADOPTER and rep != story.showcase()[1]
    assert holiday.starts.date() < TODAY < holiday.ends.date()
    assert not [i for i in story.items_of(rep.rep_id) if holiday.covers(i.at)]
    theirs = [e for e in story.crm_events if e.rep_id == rep.rep_id]
    assert theirs and not [e for e in theirs if holiday.covers(e.occurred_at.ToDatetime(UTC))]


def test_crm_events_are_shaped_like_a_plugins(story: DemoStory) -> None:
    kinds = {e.WhichOneof("payload") for e in story.crm_events}
    assert {"record_upserted", "user_login", "activity_logged", "forecast_submitted"} <= kinds
    assert "tenant_config_updated" not in kinds  # configuration goes through the admin API
    for event in story.crm_events:
        assert not event.tenant_id and not event.event_id and not event.HasField("observed_at")
        assert event.rep_id
    stages = {
        e.record_upserted.stage
        for e in story.crm_events
        if e.WhichOneof("payload") == "record_upserted" and e.record_upserted.stage
    }
    assert len(stages) >= 3  # deals move through stages


def test_ghosts_never_touch_the_crm_after_go_live(story: DemoStory) -> None:
    ghosts = {r.rep_id for r in story.organisation.reps_of(Archetype.GHOST)}
    touched = {
        e.rep_id for e in story.crm_events if e.WhichOneof("payload") in ("user_login", "activity_logged")
    }
    assert ghosts and not ghosts & touched


def test_the_banner_names_every_team_its_manager_and_the_key(story: DemoStory) -> None:
    text = "\n".join(banner_lines(story, rest_url="http://127.0.0.1:8080/v1", admin_key="gt_k_s"))
    assert "24 reps" in text and "60 days" in text and "gt_k_s" in text
    for team in story.organisation.teams:
        assert team.name in text and team.manager_rep_id in text and team.provider.value in text


def test_the_banner_says_where_to_click_and_which_key_opens_which_view(story: DemoStory) -> None:
    lines = banner_lines(
        story, rest_url="http://127.0.0.1:8080/v1", admin_key="gt_a", manager_key="gt_m", rep_key="gt_r"
    )
    team, rep = story.showcase()
    assert any("open http://127.0.0.1:8080/ " in line for line in lines)
    manager_line = next(line for line in lines if line.endswith("gt_m"))
    assert team.manager_rep_id in manager_line and "dashboard" in manager_line
    rep_line = next(line for line in lines if line.endswith("gt_r"))
    assert rep.rep_id in rep_line and rep.archetype.value == "adopter" and rep in team.members
