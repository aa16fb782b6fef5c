"""A team's members compared by role: "train by role, not by feature" needs to see which role lags.

Each member was judged against their own role's expectations (see `TenantSettings.for_role`), so
an SDR's adoption and an account executive's are each measured against what their role should do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from services.scoring.domain.classification import Classification
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.team_health import HealthMetric


@dataclass(frozen=True, slots=True)
class RoleHealth:
    role: str
    members: int
    average_adoption: float | None  # None: no member of the role has a score yet
    average_data_quality: float | None  # None: no member has a data-quality score
    classes: dict[Classification, int]
    # The role's weekly active users and DAU/MAU against the team targets (empty: not computed).
    active: tuple[HealthMetric, ...] = ()


def role_health(
    members: Iterable[str], roles: dict[str, str], results: dict[str, RepScoreResult]
) -> list[RoleHealth]:
    """One line per role among `members` (their role from `roles`, "rep" when not configured),
    largest role first, then by name."""
    by_role: dict[str, list[str]] = {}
    for rep in sorted(set(members)):
        by_role.setdefault(roles.get(rep, "rep"), []).append(rep)
    lines = []
    for role, reps in by_role.items():
        scored = [results[r] for r in reps if r in results]
        adoption = [r.adoption for r in scored]
        quality = [r.data_quality for r in scored if r.data_quality is not None]
        lines.append(
            RoleHealth(
                role=role,
                members=len(reps),
                average_adoption=round(sum(adoption) / len(adoption), 1) if adoption else None,
                average_data_quality=round(sum(quality) / len(quality), 1) if quality else None,
                classes=dict(Counter(r.verdict.classification for r in scored)),
            )
        )
    lines.sort(key=lambda line: (-line.members, line.role))
    return lines


ROLE_GROUP_SEPARATOR = "\x1f"  # never in a team id or a role


def role_groups(groups: dict[str, list[str]], roles: dict[str, str]) -> dict[str, list[str]]:
    """Every group's members split by role, keyed `role_group(group, role)`: the groups whose CRM use
    gives each role's active users (a member's role from `roles`, "rep" when not configured)."""
    split: dict[str, list[str]] = {}
    for group, members in groups.items():
        for rep in sorted(set(members)):
            split.setdefault(role_group(group, roles.get(rep, "rep")), []).append(rep)
    return split


def role_group(group: str, role: str) -> str:
    return f"{group}{ROLE_GROUP_SEPARATOR}{role}"
