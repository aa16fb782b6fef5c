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


@dataclass(frozen=True, slots=True)
class RoleHealth:
    role: str
    members: int
    average_adoption: float | None  # None: no member of the role has a score yet
    average_data_quality: float | None  # None: no member has a data-quality score
    classes: dict[Classification, int]


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
