"""Field friction: how often each required opportunity field is left empty, summed over reps."""

from __future__ import annotations

from collections.abc import Iterable

from services.scoring.domain.diagnostics import FieldFriction


def field_friction(team_id: str, gaps: Iterable[tuple[str, int, int]]) -> list[FieldFriction]:
    """Sum (field, open opportunities, of which the field is empty) per field; in field order."""
    totals: dict[str, tuple[int, int]] = {}
    for field, open_count, empty in gaps:
        o, e = totals.get(field, (0, 0))
        totals[field] = (o + open_count, e + empty)
    return [FieldFriction(f, team_id, o, e) for f, (o, e) in sorted(totals.items())]


def by_empty_share(friction: Iterable[FieldFriction]) -> list[FieldFriction]:
    """The fields left empty most often first (shares rounded as the API shows them), then by name."""
    return sorted(friction, key=lambda f: (-round(f.empty_share, 4), f.field))
