"""Customization debt: required fields and stages changed since go-live, as a pure comparison."""

from __future__ import annotations

from groundtruth.crm.v1 import crm_pb2
from services.gateway.domain.customization import customization_debt


def config(
    fields: list[str], stages: list[str], version: int, go_live: str = "2026-09-01"
) -> crm_pb2.TenantConfig:
    return crm_pb2.TenantConfig(
        version=version, go_live_date=go_live, required_opportunity_fields=fields, stages=stages
    )


def test_fields_and_stages_added_removed_and_reordered_with_their_cost() -> None:
    before = config(["Amount", "NextStep"], ["A", "B", "C"], 1)
    now = config(["NextStep", "Budget", "Partner"], ["B", "A", "D", "C"], 5)
    debt = customization_debt(before, now, {"Budget": (20, 0.75), "Partner": (20, 0.1)})
    changes = [
        (c.field, c.change, c.empty_share if c.HasField("empty_share") else None)
        for c in debt.required_fields
    ]
    assert changes == [("Budget", "added", 0.75), ("Partner", "added", 0.1), ("Amount", "removed", None)]
    assert (list(debt.stages_added), list(debt.stages_removed), debt.stages_reordered) == (["D"], [], True)
    assert debt.summary == (
        "2 required fields added since go-live, 1 of them left empty on half the open deals or more; "
        "stages: 1 added, 0 removed, reordered; 1 required fields dropped"
    )
    assert (debt.go_live_version, debt.current_version) == (1, 5)


def test_nothing_to_compare_is_said_not_hidden() -> None:
    now = config(["Budget"], [], 2)
    assert customization_debt(None, now, {}).summary.startswith("no configuration was in force")
    assert customization_debt(None, config([], [], 2, go_live=""), {}).summary.startswith("no go-live date")
    unchanged = customization_debt(now, now, {})
    assert unchanged.summary == "required fields and stages are as they were at go-live"
