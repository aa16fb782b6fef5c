"""What `make run` prints about the demo: teams, managers, reps by archetype, and how to look."""

from __future__ import annotations

from collections import Counter

from services.sandbox.demo.story import DemoStory


def banner_lines(
    story: DemoStory, *, rest_url: str, admin_key: str, manager_key: str = "", rep_key: str = ""
) -> list[str]:
    organisation = story.organisation
    lines = [
        f"  demo tenant '{story.tenant_id}': {len(organisation.teams)} teams, {len(story.reps)} reps, "
        f"{story.spec.days} days of mail, meetings and CRM history since go-live "
        f"{organisation.go_live.isoformat()}; live activity keeps arriving",
    ]
    for team in organisation.teams:
        kinds = Counter(r.archetype.value for r in team.members)
        mix = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        lines.append(f"    {team.name:<17} ({team.provider.value}, manager {team.manager_rep_id}): {mix}")
    web = rest_url.removesuffix("/v1") + "/"
    team, rep = story.showcase()
    lines += ["", f"  See it: open {web} and paste one of these keys (new each run):"]
    if manager_key:
        lines.append(f"    manager of {team.name} ({team.manager_rep_id}), team dashboard: {manager_key}")
    if rep_key:
        lines.append(f"    rep {rep.name} ({rep.rep_id}, {rep.archetype.value}), My day: {rep_key}")
    lines += [
        f"    admin of tenant '{story.tenant_id}', every team and the admin API: {admin_key}",
        f"  scores: curl -H 'Authorization: Bearer {admin_key}' {rest_url}/scores?team_id="
        f"{organisation.teams[0].team_id}",
        "  scores appear within about a minute, while capture backfills the mailboxes (docs/demo.md)",
    ]
    return lines
