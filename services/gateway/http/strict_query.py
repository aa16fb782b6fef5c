"""Unknown or repeated query parameters are refused (422), so a typo such as `pagesize=` is reported
instead of silently ignored, and `?team_id=a&team_id=b` is not quietly read as one of the two.
What each route accepts is read from the route's own declared parameters (none is a list)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError


def _declared(dependant: Any) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared(sub)
    return names


async def reject_unknown_query(request: Request) -> None:
    if not request.query_params:
        return
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    declared = _declared(dependant)
    counts = Counter(name for name, _ in request.query_params.multi_items())
    errors = [
        {"loc": ("query", name), "msg": "unknown query parameter", "type": "extra_forbidden"}
        for name in counts
        if name not in declared
    ] + [
        {"loc": ("query", name), "msg": "given more than once", "type": "repeated"}
        for name, count in counts.items()
        if count > 1 and name in declared
    ]
    if errors:
        raise RequestValidationError(errors)
