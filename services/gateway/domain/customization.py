"""Customization debt: "every workaround ... becomes a liability". What changed in the required fields
and stages between the configuration in force at go-live and the current one, and what each field
added since costs in completion now (the share of open opportunities leaving it empty)."""

from __future__ import annotations

from collections.abc import Mapping

from groundtruth.crm.v1 import crm_pb2
from groundtruth.gateway.v1 import gateway_pb2 as g


def customization_debt(
    at_go_live: crm_pb2.TenantConfig | None,
    current: crm_pb2.TenantConfig,
    friction: Mapping[str, tuple[int, float]],  # field -> (open opportunities, empty share)
) -> g.CustomizationDebt:
    """Pure. Without a go-live date, or without a configuration in force at go-live, nothing is
    compared and the summary says why (never "no debt")."""
    debt = g.CustomizationDebt(go_live_date=current.go_live_date, current_version=current.version)
    if not current.go_live_date:
        debt.summary = "no go-live date is configured: nothing to compare against"
        return debt
    if at_go_live is None:
        debt.summary = (
            "no configuration was in force at the end of the go-live day: nothing to compare against"
        )
        return debt
    debt.go_live_version = at_go_live.version
    before, after = list(at_go_live.required_opportunity_fields), list(current.required_opportunity_fields)
    for name in after:
        if name not in before:
            change = debt.required_fields.add(field=name, change="added")
            if name in friction:
                change.open_opportunities, change.empty_share = friction[name][0], friction[name][1]
    for name in before:
        if name not in after:
            debt.required_fields.add(field=name, change="removed")
    old_stages, new_stages = list(at_go_live.stages), list(current.stages)
    debt.stages_added.extend(s for s in new_stages if s not in old_stages)
    debt.stages_removed.extend(s for s in old_stages if s not in new_stages)
    kept_old = [s for s in old_stages if s in new_stages]
    kept_new = [s for s in new_stages if s in old_stages]
    debt.stages_reordered = kept_old != kept_new
    added = [c for c in debt.required_fields if c.change == "added"]
    parts = []
    if added:
        costly = [c for c in added if c.HasField("empty_share") and c.empty_share >= 0.5]
        parts.append(
            f"{len(added)} required fields added since go-live"
            + (f", {len(costly)} of them left empty on half the open deals or more" if costly else "")
        )
    if debt.stages_added or debt.stages_removed or debt.stages_reordered:
        parts.append(
            f"stages: {len(debt.stages_added)} added, {len(debt.stages_removed)} removed"
            + (", reordered" if debt.stages_reordered else "")
        )
    removed = len(debt.required_fields) - len(added)
    if removed:
        parts.append(f"{removed} required fields dropped")
    debt.summary = "; ".join(parts) if parts else "required fields and stages are as they were at go-live"
    return debt
